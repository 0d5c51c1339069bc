# Enqueue, capture the generation id.
GEN_ID=$(curl -s -X POST https://hub.oxen.ai/api/ai/queue \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer $OXEN_API_KEY" \
  -d '{
  "model": "bytedance-seedance-2-0-fast-text-to-video",
  "prompt": "A lone ox walks down an empty desert highway at golden hour, dust drifting behind it, slow cinematic camera move, warm low sunlight, shallow depth of field."
}' | jq -r '.generations[0].generation_id')

# Poll until the generation reaches a terminal status.
while true; do
  STATUS=$(curl -s -H "Authorization: Bearer $OXEN_API_KEY" \
    "https://hub.oxen.ai/api/ai/queue/$GEN_ID" | jq -r '.status')
  echo "Status: $STATUS"
  case $STATUS in succeeded|failed|cancelled) break;; esac
  sleep 5
done

# Print the result.
curl -s -H "Authorization: Bearer $OXEN_API_KEY" \
  "https://hub.oxen.ai/api/ai/queue/$GEN_ID" | jq .
