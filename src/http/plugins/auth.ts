import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { bearerToken } from '../../domain/access-token.js';
import {
  createAuthFailureLimiter,
  type AuthFailureLimiter,
} from '../../domain/auth-failure-limiter.js';
import {
  authorizeAdmin,
  authorizeAppAction,
  deployScopeActions,
  type Principal,
} from '../../domain/authorization.js';
import { AppError } from '../../domain/errors.js';
import { problemResponse } from '../problem-responses.js';
import type { AccessService } from '../../services/access-service.js';
import { findRouteApp } from '../route-app.js';
import { policyFor, type RoutePolicy } from '../route-policies.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set for every route at registration from src/http/route-policies.ts. */
    policy?: RoutePolicy;
  }
  interface FastifyRequest {
    /** Who is calling; null on public routes. */
    principal: Principal | null;
  }
}

export interface AuthPluginOptions {
  access: AccessService;
  limiter?: AuthFailureLimiter;
}

export const bearerSecurityScheme = 'bearerAuth';

async function authPlugin(app: FastifyInstance, options: AuthPluginOptions) {
  const { access } = options;
  const limiter = options.limiter ?? createAuthFailureLimiter();
  app.decorateRequest('principal', null);

  // Start-up fails for a route nobody decided about, so no route can be open by accident.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const policies = methods.map((method) => {
      const policy = policyFor(method, route.url);
      if (policy === undefined) {
        throw new Error(
          `route ${method} ${route.url} has no access policy: add it to src/http/route-policies.ts`,
        );
      }
      return policy;
    });
    const [policy] = policies;
    if (policy === undefined || policies.some((other) => other !== policy)) {
      throw new Error(`route ${route.url} needs one access policy for all of its methods`);
    }
    route.config = { ...route.config, policy };
    // The HEAD route Fastify adds for each GET is not documented; documenting it again would
    // repeat the note on the GET it shares its schema with.
    if (route.method !== 'HEAD') documentPolicy(route, policy);
  });

  app.addHook('onRequest', async (request, reply) => {
    const policy = request.routeOptions.config.policy;
    if (policy === undefined) {
      if (request.is404) return;
      throw new Error(`no access policy for ${request.method} ${request.routeOptions.url ?? ''}`);
    }
    if (policy.access === 'public') return;
    request.principal = await authenticate(request, reply);
    await authorize(request, policy, request.principal);
  });

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<Principal> {
    const address = request.ip;
    // Checked before the token, so a blocked address learns nothing, not even about valid tokens.
    const waitSeconds = limiter.retryAfterSeconds(address);
    if (waitSeconds > 0) {
      reply.header('retry-after', String(waitSeconds));
      throw new AppError(
        'RATE_LIMITED',
        `too many failed authentications from this address; retry in ${waitSeconds} s`,
      );
    }
    const token = bearerToken(request.headers.authorization);
    const principal = token === null ? null : await access.authenticate(token);
    if (principal !== null) return principal;
    limiter.recordFailure(address);
    reply.header('www-authenticate', 'Bearer realm="slipway"');
    throw new AppError(
      'UNAUTHENTICATED',
      token === null
        ? 'this endpoint needs a token: send "Authorization: Bearer <token>"'
        : 'the token is unknown or has been revoked',
    );
  }

  async function authorize(
    request: FastifyRequest,
    policy: Exclude<RoutePolicy, { access: 'public' }>,
    principal: Principal,
  ): Promise<void> {
    if (policy.access === 'admin') {
      authorizeAdmin(principal);
      return;
    }
    // Admins may act on any app, so only deploy tokens need the look-up.
    const target = principal.scope === 'admin' ? null : await findRouteApp(request, policy, access);
    authorizeAppAction(principal, policy.action, target?.id ?? null);
  }
}

/** Reflects the policy in the OpenAPI document: security requirement, auth errors, who may call. */
function documentPolicy(route: RouteOptions, policy: RoutePolicy): void {
  const schema = route.schema;
  if (schema === undefined || schema.hide === true) return;
  // A copy, never an edit: the schema object may be shared (e.g. with the route's HEAD twin).
  if (policy.access === 'public') {
    route.schema = { ...schema, security: [] };
    return;
  }
  const response: unknown = schema.response;
  const who =
    policy.access === 'app' && deployScopeActions.has(policy.action)
      ? 'an admin token, or a deploy token for this application'
      : 'an admin token';
  const note = `Needs ${who}.`;
  route.schema = {
    ...schema,
    security: [{ [bearerSecurityScheme]: [] }],
    ...(typeof response === 'object' && response !== null
      ? {
          response: {
            ...response,
            401: problemResponse,
            403: problemResponse,
            429: problemResponse,
          },
        }
      : {}),
    description: schema.description === undefined ? note : `${schema.description}\n\n${note}`,
  };
}

export default fp(authPlugin, { name: 'auth', dependencies: ['error-handler'] });
