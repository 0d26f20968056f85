/**
 * Coordination of many worldtick instances (docs/CLUSTER.md): the {@link Coordinator} seam
 * with its in-process and Redis implementations, signed redirect tickets, the load-balancing
 * decision and placement of new worlds.
 */
export * from './coordinator.js';
export { LocalCoordinator, LocalHub, type LocalCoordinatorOptions } from './local-coordinator.js';
export { RedisCoordinator, REDIS_COORDINATOR_DEFAULTS, type RedisCoordinatorOptions } from './redis-coordinator.js';
export { DEFAULT_SAFETY_MARGIN, TTL_BOUNDS, type SafetyMargin } from './lease-book.js';
export { MAX_MESSAGE_BYTES } from './messages.js';
export { signTicket, verifyTicket, TICKET_LIMITS, type TicketPayload, type VerifyTicketOptions } from './ticket.js';
export * from './balancer.js';
export * from './placement.js';
