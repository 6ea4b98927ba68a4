import { MAX_REPLICAS } from '../schemas/settings.js';

/**
 * Server slots in each app's HAProxy backend: room for the live set of replicas and a candidate
 * set of the most replicas allowed, side by side, since a switch makes the new set ready before
 * the old one drains. Fixed at twice the replica limit, so changing an app's replicas never needs
 * a new backend, and so never a reload. Free slots are in maintenance and cost next to nothing.
 */
export const SLOTS_PER_APP = 2 * MAX_REPLICAS;
