// Follows GET /v1/jobs/{id}/events as text/event-stream through fetch and a streamed reader: EventSource cannot
// send the Authorization header. The server ends the stream when the job is over; a stream cut short earlier
// is resumed from the last event seen.

import { apiFetch, getJson } from './api.js';

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export async function followJobEvents(jobId, onEvent, { signal } = {}) {
  let after = 0;
  for (;;) {
    try {
      after = await readStream(jobId, after, onEvent, signal);
    } catch (e) {
      if (signal?.aborted) {
        return;
      }
      console.warn('event stream interrupted', e);
    }
    const job = await getJson(`/v1/jobs/${jobId}`);
    if (FINAL.has(job.status)) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function readStream(jobId, after, onEvent, signal) {
  const response = await apiFetch(`/v1/jobs/${jobId}/events?after=${after}`, {
    headers: { Accept: 'text/event-stream' },
    signal,
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let last = after;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return last;
    }
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event) {
        last = event.id;
        onEvent(event);
      }
    }
  }
}

/** One SSE block ("id:", "event:", "data:" lines) to the job event its data carries. */
function parseEvent(block) {
  const data = block.split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).replace(/^ /, ''))
    .join('\n');
  return data ? JSON.parse(data) : null;
}
