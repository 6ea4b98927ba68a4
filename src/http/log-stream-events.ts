import type { LogStreamEvent } from '../services/log-stream-service.js';
import type { EventStream } from './event-stream.js';

/** The SSE wire form of a log stream event; the stream closes after the final `end`. */
export function sendLogStreamEvent(stream: EventStream, event: LogStreamEvent): void {
  switch (event.type) {
    case 'log':
      stream.send({
        event: 'log',
        id: event.id.toString(),
        data: { stepId: event.stepId, text: event.text },
      });
      return;
    case 'step':
      stream.send({ event: 'step', data: event.step });
      return;
    case 'end':
      stream.send({
        event: 'end',
        data: { status: event.status, failureReason: event.failureReason },
      });
      stream.close();
      return;
  }
}
