import os
import time
import requests

HEADERS = {
    "Content-Type": "application/json",
    "Authorization": f"Bearer {os.environ['OXEN_API_KEY']}",
}

enqueue = requests.post(
    "https://hub.oxen.ai/api/ai/queue",
    headers=HEADERS,
    json={
        "model": "bytedance-seedance-2-0-fast-text-to-video",
        "prompt": "A lone ox walks down an empty desert highway at golden hour, dust drifting behind it, slow cinematic camera move, warm low sunlight, shallow depth of field.",
        "resolution": "720p",
        "duration": -1,
        "aspect_ratio": "16:9",
        "generate_audio": false,
        "watermark": false
    },
)
enqueue.raise_for_status()
generation_id = enqueue.json()["generations"][0]["generation_id"]

while True:
    data = requests.get(
        f"https://hub.oxen.ai/api/ai/queue/{generation_id}",
        headers=HEADERS,
    ).json()
    if data["status"] in {"succeeded", "failed", "cancelled"}:
        break
    time.sleep(5)

if data["status"] == "succeeded":
    print(f"Result: {data['result_url']}")
else:
    print(f"Generation {data['status']}: {data.get('error_message')}")
