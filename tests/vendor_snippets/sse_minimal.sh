# Enqueue, capture the generation id.
GEN_ID=$(curl -s -X POST https://hub.oxen.ai/api/ai/queue \
  -H "Content-Type: application/json" \
  -H "Authorization: Bearer $OXEN_API_KEY" \
  -d '{
  "model": "bytedance-seedance-2-0-fast-text-to-video",
  "prompt": "A lone ox walks down an empty desert highway at golden hour, dust drifting behind it, slow cinematic camera move, warm low sunlight, shallow depth of field."
}' | jq -r '.generations[0].generation_id')

# Stream the SSE channel, grab the data line that follows a
# media_generation_completed event for our id, and pretty-print it.
curl -sN -H "Authorization: Bearer $OXEN_API_KEY" https://hub.oxen.ai/api/events \
  | awk -v id="$GEN_ID" '
    /^event: media_generation_completed$/ { expect=1; next }
    /^data: / && expect {
      payload = substr($0, 7)
      if (index(payload, "\"generation_id\":\"" id "\"")) { print payload; exit }
      expect = 0
    }
  ' | jq .
