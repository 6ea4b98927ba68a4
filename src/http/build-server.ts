import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { ApplicationService } from '../services/application-service.js';
import type { DeploymentService } from '../services/deployment-service.js';
import type { DomainService } from '../services/domain-service.js';
import type { HealthService } from '../services/health-service.js';
import type { ReleaseCommandService } from '../services/release-command-service.js';
import { runForRequest } from '../services/request-apps.js';
import errorHandler, { sendProblem, toProblem } from './plugins/error-handler.js';
import { AppError } from '../domain/errors.js';
import { createClientErrorHandler } from './client-error.js';
import openapi from './plugins/openapi.js';
import audit from './plugins/audit.js';
import jsonBody from './plugins/json-body.js';
import noBody from './plugins/no-body.js';
import auth from './plugins/auth.js';
import { auditRoutes } from './routes/audit.js';
import { envRoutes } from './routes/env.js';
import { registryCredentialRoutes } from './routes/registry-credentials.js';
import { tokenRoutes } from './routes/tokens.js';
import type { AccessService } from '../services/access-service.js';
import type { AuditService } from '../services/audit-service.js';
import type { EnvService } from '../services/env-service.js';
import type { RegistryCredentialService } from '../services/registry-credential-service.js';
import type { TokenService } from '../services/token-service.js';
import type { WebhookService } from '../services/webhook-service.js';
import { webhookRoutes } from './routes/webhooks.js';
import { applicationRoutes } from './routes/applications.js';
import { deploymentRoutes } from './routes/deployments.js';
import { domainRoutes } from './routes/domains.js';
import { metricsRoutes } from './routes/metrics.js';
import type { LogStreamService } from '../services/log-stream-service.js';
import type { Registry } from 'prom-client';
import { healthCheckPaths, healthRoutes } from './routes/health.js';
import { releaseCommandRoutes } from './routes/release-commands.js';
import { settingsRoutes } from './routes/settings.js';

export interface SecurityDependencies {
  access: AccessService;
  tokens: TokenService;
  env: EnvService;
  registryCredentials: RegistryCredentialService;
  audit: AuditService;
  webhooks: WebhookService;
}

export interface ServerDependencies {
  logger: FastifyBaseLogger;
  applications: ApplicationService;
  releaseCommands: ReleaseCommandService;
  deployments: DeploymentService;
  domains: DomainService;
  logStream: LogStreamService;
  security: SecurityDependencies;
  metrics: Registry;
  health: HealthService;
  isDependencyUnavailable: (error: unknown) => boolean;
}

/** Bodies are small JSON documents; anything near this size is a mistake or an attack. */
const bodyLimitBytes = 256 * 1024;
const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildServer(deps: ServerDependencies) {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: bodyLimitBytes,
    // Always ours: a caller-chosen id could collide with or impersonate another request's. The
    // caller's own id is kept apart, as clientRequestId (logs, audit entries).
    genReqId: () => randomUUID(),
    routerOptions: { maxParamLength: 500 },
    // URLs Fastify cannot even route (bad percent-encoding, over-long params) still get problem+json.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      void sendProblem(
        reply,
        toProblem(
          new AppError('VALIDATION_FAILED', `the request URL is invalid: ${error.message}`),
          request,
        ),
      );
    },
    return503OnClosing: true,
    logController: new LogController({
      disableRequestLogging: (request) => healthCheckPaths.has(request.url.split('?')[0] ?? ''),
    }),
    clientErrorHandler: createClientErrorHandler(deps.logger),
  }).withTypeProvider<ZodTypeProvider>();

  // The API speaks JSON only; any other body type is answered with 415 rather than parsed.
  app.removeContentTypeParser('text/plain');
  await app.register(jsonBody);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('clientRequestId', null);
  // First of all hooks, callback style: everything after it (auth, the handler, the audit
  // entry) runs inside the request's memo, so they share one read of the app.
  app.addHook('onRequest', (_request, _reply, done) => {
    runForRequest(done);
  });
  app.addHook('onRequest', async (request) => {
    const given = request.headers['x-request-id'];
    if (typeof given === 'string' && requestIdPattern.test(given)) {
      request.clientRequestId = given;
      request.log = request.log.child({ clientRequestId: given });
    }
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(errorHandler, { isDependencyUnavailable: deps.isDependencyUnavailable });
  // Before any route, so that every route gets its access policy (or start-up fails).
  await app.register(auth, { access: deps.security.access });
  await app.register(audit);
  await app.register(noBody);
  await app.register(openapi);
  await app.register(healthRoutes, { health: deps.health });
  await app.register(metricsRoutes, { metrics: deps.metrics });
  await app.register(
    async (v1) => {
      await v1.register(applicationRoutes, { applications: deps.applications });
      await v1.register(settingsRoutes, { applications: deps.applications });
      await v1.register(releaseCommandRoutes, { releaseCommands: deps.releaseCommands });
      await v1.register(deploymentRoutes, {
        deployments: deps.deployments,
        logStream: deps.logStream,
      });
      await v1.register(envRoutes, { env: deps.security.env });
      await v1.register(domainRoutes, { domains: deps.domains });
      await v1.register(registryCredentialRoutes, {
        credentials: deps.security.registryCredentials,
      });
      await v1.register(tokenRoutes, { tokens: deps.security.tokens });
      await v1.register(auditRoutes, { audit: deps.security.audit });
      await v1.register(webhookRoutes, { webhooks: deps.security.webhooks });
    },
    { prefix: '/v1' },
  );
  return app;
}

export type SlipwayServer = Awaited<ReturnType<typeof buildServer>>;
