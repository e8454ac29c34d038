// Message queues: bounded FIFO mailboxes. A message goes to any receiver, or to one pid; a
// broadcast is sent as one addressed copy per receiver. Receivers block when nothing is for
// them; senders block when the queue is full.

import type {Process} from './process.js';
import {FifoQueue} from './scheduler/ready-queue.js';

export interface Message {
  readonly seq: number;
  readonly from: number;
  /** Recipient pid, or undefined for the first receiver that asks. */
  readonly to: number | undefined;
  readonly text: string;
  readonly sentAt: number;
}

export interface MessageQueue {
  readonly name: string;
  readonly capacity: number;
  readonly messages: Message[];
  readonly receivers: FifoQueue;
  readonly senders: FifoQueue;
  /** The message each blocked sender is trying to send. */
  readonly pendingSends: Map<number, Message>;
  sent: number;
  received: number;
}

export function createMessageQueue(name: string, capacity: number): MessageQueue {
  return {
    name,
    capacity,
    messages: [],
    receivers: new FifoQueue(),
    senders: new FifoQueue(),
    pendingSends: new Map(),
    sent: 0,
    received: 0,
  };
}

/** Whether `pid` may take the message (0 is the shell, which takes unaddressed messages only). */
export function isFor(message: Message, pid: number): boolean {
  return message.to === undefined || message.to === pid;
}

/** Remove and return the first queued message `pid` may take. */
export function takeMessage(queue: MessageQueue, pid: number): Message | undefined {
  const index = queue.messages.findIndex((message) => isFor(message, pid));
  if (index < 0) return undefined;
  queue.received++;
  return queue.messages.splice(index, 1)[0];
}

/** The first blocked receiver that may take `message`. */
export function receiverFor(queue: MessageQueue, message: Message): Process | undefined {
  for (const receiver of queue.receivers) if (isFor(message, receiver.pid)) return receiver;
  return undefined;
}
