curl -X POST https://hub.oxen.ai/api/ai/videos/generate \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer $OXEN_API_KEY" \
  -d '{
  "model": "bytedance-seedance-2-0-fast-text-to-video",
  "prompt": "A lone ox walks down an empty desert highway at golden hour, dust drifting behind it, slow cinematic camera move, warm low sunlight, shallow depth of field.",
  "resolution": "720p",
  "duration": -1,
  "aspect_ratio": "16:9",
  "generate_audio": false,
  "watermark": false
}'
