import json
import os
import requests

API_KEY = os.environ["OXEN_API_KEY"]
AUTH = {"Authorization": f"Bearer {API_KEY}"}

enqueue = requests.post(
    "https://hub.oxen.ai/api/ai/queue",
    headers={**AUTH, "Content-Type": "application/json"},
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

with requests.get(
    "https://hub.oxen.ai/api/events",
    headers=AUTH,
    stream=True,
) as stream:
    event_name = None
    for line in stream.iter_lines(decode_unicode=True):
        if line.startswith("event: "):
            event_name = line.removeprefix("event: ")
        elif line.startswith("data: ") and event_name == "media_generation_completed":
            payload = json.loads(line.removeprefix("data: "))
            if payload.get("generation_id") == generation_id:
                print(payload)
                break
