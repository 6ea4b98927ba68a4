import { z } from 'zod';
import { appRefSchema } from './application.js';

export const maxDomainsPerApp = 100;

// RFC 1123 labels: letters, digits and inner hyphens, 1-63 characters. A last label of digits
// only would make an IP address look like a hostname, so it is refused.
const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const hostnamePattern = new RegExp(`^(?=.{1,253}$)(?:${label}\\.)*(?!\\d+$)${label}$`);

/**
 * A hostname the ingress routes by (the Host header, port removed). Compared lower-case, so it
 * is lower-cased first; no trailing dot, no wildcard, no IP address; IDNs in their ASCII
 * (punycode, "xn--…") form.
 */
export const hostnameSchema = z
  .string()
  .min(1)
  .max(253)
  .toLowerCase()
  .regex(
    hostnamePattern,
    'must be a hostname (RFC 1123): dot-separated labels of letters, digits and inner hyphens, each 1-63 characters, at most 253 in all; no port, wildcard, trailing dot or IP address; IDNs as punycode (xn--…)',
  )
  .describe('Hostname, e.g. shop.example.com; lower-cased');

export const domainParamsSchema = z.object({ app: appRefSchema, hostname: hostnameSchema });

export const domainSchema = z
  .object({
    hostname: z.string(),
    default: z
      .boolean()
      .describe('The hostname <app>.<SLIPWAY_BASE_DOMAIN>, which every app has when that is set'),
    createdAt: z.iso.datetime().nullable().describe('null for the default hostname'),
  })
  .meta({ id: 'Domain' });

export const domainListSchema = z
  .object({ items: z.array(domainSchema) })
  .meta({ id: 'DomainList' });

export type Domain = z.infer<typeof domainSchema>;
