/**
 * Validation shared by every coordinator: instance announcements and cluster messages.
 * Messages travel as JSON text; anything else received is counted and dropped.
 */
import type { ClusterMessage, InstanceInfo, InstanceLoad } from './coordinator.js';
import { clusterMessageInvalid, optionInvalid } from '../errors.js';

/** Largest encoded cluster message (bytes of JSON). Messages are meant to be small. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** Validates a channel name: 1–200 characters. */
export const checkChannel = (channel: string): void => {
  if (typeof channel !== 'string' || channel.length === 0 || channel.length > 200) {
    throw clusterMessageInvalid('channel must be a non-empty string of at most 200 characters');
  }
};

/** Encodes a message for the wire, refusing what receivers would drop. */
export const encodeMessage = (message: ClusterMessage): string => {
  if (message === null || typeof message !== 'object' || Array.isArray(message) || typeof message.type !== 'string') {
    throw clusterMessageInvalid('a message must be an object with a string type');
  }
  let text: string;
  try {
    text = JSON.stringify(message);
  } catch (err) {
    throw clusterMessageInvalid(`not JSON-serializable (${err instanceof Error ? err.message : String(err)})`);
  }
  if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) {
    throw clusterMessageInvalid(`larger than ${MAX_MESSAGE_BYTES} bytes`);
  }
  return text;
};

/** Decodes a received message; null when it is not a JSON object with a string `type`. */
export const decodeMessage = (text: string): ClusterMessage | null => {
  if (text.length > MAX_MESSAGE_BYTES * 4) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const type: unknown = (value as { type?: unknown }).type;
  return typeof type === 'string' ? (value as ClusterMessage) : null;
};

const nonNegative = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;

/** Validates a load report; throws WT_ERR_OPTION_INVALID listing every bad field. */
export const checkLoad = (load: InstanceLoad, path = 'load'): void => {
  const problems: string[] = [];
  if (load === null || typeof load !== 'object') throw optionInvalid([`${path} must be an object`]);
  if (!nonNegative(load.sessions)) problems.push(`${path}.sessions must be a number >= 0`);
  if (!nonNegative(load.stepCostMs)) problems.push(`${path}.stepCostMs must be a number >= 0`);
  if (!nonNegative(load.cpu)) problems.push(`${path}.cpu must be a number >= 0`);
  if (problems.length > 0) throw optionInvalid(problems);
};

/** Validates an instance announcement; throws WT_ERR_OPTION_INVALID listing every bad field. */
export const checkInstance = (info: InstanceInfo): void => {
  const problems: string[] = [];
  if (typeof info.id !== 'string' || info.id.length === 0 || info.id.length > 200) {
    problems.push('instance.id must be a non-empty string of at most 200 characters');
  }
  if (typeof info.gameUrl !== 'string' || info.gameUrl.length > 2000) problems.push('instance.gameUrl must be a string');
  if (typeof info.adminUrl !== 'string' || info.adminUrl.length > 2000) problems.push('instance.adminUrl must be a string');
  if (!Number.isInteger(info.capacity) || info.capacity < 0) problems.push('instance.capacity must be an integer >= 0');
  if (info.draining !== undefined && typeof info.draining !== 'boolean') problems.push('instance.draining must be a boolean');
  if (problems.length > 0) throw optionInvalid(problems);
  checkLoad(info.load, 'instance.load');
};
