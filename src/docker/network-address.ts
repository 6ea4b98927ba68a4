import type Docker from 'dockerode';
import { EngineError } from '../engine/engine-error.js';
import { toRuntimeError } from './engine-errors.js';

/** The part of a container inspect read here. */
interface InspectedNetworks {
  NetworkSettings?: {
    Networks?: Record<string, { IPAddress?: string; GlobalIPv6Address?: string } | null> | null;
  } | null;
}

/**
 * The container's IP address on a Docker network, for an ingress that runs as a container on
 * that network and so reaches web containers directly (127.0.0.1 there is its own loopback).
 */
export async function networkAddress(
  docker: Docker,
  containerId: string,
  network: string,
): Promise<string> {
  let inspected: InspectedNetworks;
  try {
    inspected = await docker.getContainer(containerId).inspect();
  } catch (error) {
    throw toRuntimeError(error, `inspecting container ${containerId.slice(0, 12)}`);
  }
  const attached = inspected.NetworkSettings?.Networks?.[network];
  const ip = attached?.IPAddress ?? '';
  if (ip !== '') return ip;
  const ipv6 = attached?.GlobalIPv6Address ?? '';
  if (ipv6 !== '') return ipv6;
  throw new EngineError(
    'ENGINE_ERROR',
    `container ${containerId.slice(0, 12)} has no IP address on network ${network}`,
  );
}
