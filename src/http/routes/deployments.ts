import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appParamsSchema } from '../../schemas/application.js';
import {
  logStreamHeadersSchema,
  triggerHeadersSchema,
  deploymentParamsSchema,
  deploymentSchema,
  deploymentSummarySchema,
  releaseSchema,
  rollbackRequestSchema,
  triggerDeploymentSchema,
} from '../../schemas/deployment.js';
import { pageSchema, paginationQuerySchema } from '../../schemas/pagination.js';
import type { DeploymentService } from '../../services/deployment-service.js';
import { optionalBodyKey } from '../openapi-prune.js';
import { problemResponses } from '../problem-responses.js';
import type { LogStreamService } from '../../services/log-stream-service.js';
import { openEventStream, type EventStream } from '../event-stream.js';
import { sendLogStreamEvent } from '../log-stream-events.js';

const tags = ['deployments'];

export const deploymentRoutes: FastifyPluginAsyncZod<{
  deployments: DeploymentService;
  logStream: LogStreamService;
}> = async (app, { deployments, logStream }) => {
  app.post(
    '/apps/:app/deployments',
    {
      schema: {
        tags,
        summary: 'Deploy an image',
        description:
          'Snapshots the current settings, stores the deployment and queues it. A worker then pulls the image, runs the release commands, starts and probes the web container, and only then makes it the live release.\n\nWith `Prefer: wait=N` (RFC 7240, N ≤ 300) the answer waits until the deployment finished (200) or N seconds passed (202), and carries `Preference-Applied: wait=N`.',
        params: appParamsSchema,
        headers: triggerHeadersSchema,
        body: triggerDeploymentSchema,
        response: {
          200: deploymentSchema.describe(
            'A retry with the same Idempotency-Key: the original deployment; or, with Prefer: wait, the finished deployment',
          ),
          202: deploymentSchema,
          ...problemResponses(400, 404, 413, 415, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const { deployment, replayed, finished, waitApplied } = await deployments.triggerAndWait(
        request.params.app,
        request.body,
        { idempotencyKey: request.headers['idempotency-key'], prefer: request.headers.prefer },
      );
      if (waitApplied !== null) reply.header('preference-applied', `wait=${waitApplied}`);
      return reply
        .code(replayed || (waitApplied !== null && finished) ? 200 : 202)
        .send(deployment);
    },
  );

  app.post(
    '/apps/:app/rollback',
    {
      schema: {
        tags,
        summary: 'Roll back to an earlier release',
        description: [
          "Creates a deployment of kind `rollback` that brings back an earlier release: by default the newest succeeded deployment before the live release's, or the deployment named by `to`. It uses that release's exact image (by image id; pulled by digest only if the host no longer has it) and its settings snapshot, with the app's **current** environment variables, so a rotated secret never comes back. It then goes through start → probe → activate → route → retire like any deployment; a retained (stopped) container of the target is started again instead of creating one when its variables still match.",
          '',
          "**Release commands are skipped by default: a rollback does not reverse migrations** or anything else a release command did. `runReleaseCommands: true` runs the target's release commands again.",
          '',
          'Errors: 409 `NOTHING_TO_ROLL_BACK` (no live release, or nothing before it), 409 `ROLLBACK_TARGET_IS_LIVE`, 404 `DEPLOYMENT_NOT_FOUND` (`to` is not a deployment of this app), 422 `ROLLBACK_TARGET_INVALID` (`to` did not succeed or has no image id). `Idempotency-Key` and `Prefer: wait=N` behave as on `POST /v1/apps/{app}/deployments`.',
        ].join('\n'),
        params: appParamsSchema,
        headers: triggerHeadersSchema,
        body: rollbackRequestSchema,
        [optionalBodyKey]: true,
        response: {
          200: deploymentSchema.describe(
            'A retry with the same Idempotency-Key: the original deployment; or, with Prefer: wait, the finished deployment',
          ),
          202: deploymentSchema,
          ...problemResponses(400, 404, 409, 413, 415, 422, 503),
        },
      },
      // The body is optional: a request without one asks for the defaults.
      preValidation: (request, _reply, done) => {
        // Typed as validated already; before validation it is whatever arrived (null when absent).
        const arrived: unknown = request.body;
        if (arrived === null || arrived === undefined) request.body = {};
        done();
      },
    },
    async (request, reply) => {
      const { deployment, replayed, finished, waitApplied } = await deployments.rollbackAndWait(
        request.params.app,
        request.body,
        { idempotencyKey: request.headers['idempotency-key'], prefer: request.headers.prefer },
      );
      if (waitApplied !== null) reply.header('preference-applied', `wait=${waitApplied}`);
      return reply
        .code(replayed || (waitApplied !== null && finished) ? 200 : 202)
        .send(deployment);
    },
  );

  app.post(
    '/deployments/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a deployment',
        description:
          'A queued deployment is cancelled at once (200). A running one is stopped by its worker within seconds (202): the running container is killed, remaining steps are skipped, the new web container is removed and the previous release keeps serving. A finished deployment answers 409.',
        params: deploymentParamsSchema,
        response: {
          200: deploymentSchema,
          202: deploymentSchema,
          ...problemResponses(400, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { deployment, accepted } = await deployments.cancel(request.params.id);
      return reply.code(accepted ? 202 : 200).send(deployment);
    },
  );

  app.get(
    '/apps/:app/deployments',
    {
      schema: {
        tags,
        summary: 'Deployments of an application, newest first',
        params: appParamsSchema,
        querystring: paginationQuerySchema,
        response: { 200: pageSchema(deploymentSummarySchema), ...problemResponses(400, 404) },
      },
    },
    (request) => deployments.list(request.params.app, request.query),
  );

  app.get(
    '/apps/:app/release',
    {
      schema: {
        tags,
        summary: 'The live release of an application',
        params: appParamsSchema,
        response: { 200: releaseSchema, ...problemResponses(400, 404) },
      },
    },
    (request) => deployments.release(request.params.app),
  );

  app.get(
    '/deployments/:id',
    {
      schema: {
        tags,
        summary: 'A deployment with its steps',
        params: deploymentParamsSchema,
        response: { 200: deploymentSchema, ...problemResponses(400, 404) },
      },
    },
    (request) => deployments.get(request.params.id),
  );

  app.get(
    '/deployments/:id/log',
    {
      schema: {
        tags,
        summary: 'The deployment log: plain text, or a live Server-Sent Events stream',
        description: [
          'With `Accept: text/plain` (default): every step under its heading, then the outcome.',
          '',
          'With `Accept: text/event-stream`: the log as it is written. Events: `log` (data `{stepId, text}`, with an `id:`), `step` (data: the step, on every change) and a final `end` (data `{status, failureReason}`), after which the stream closes. Reconnecting with `Last-Event-ID` resumes right after the last `log` event received, with no output lost or repeated. On a finished deployment everything is replayed and the stream closes.',
        ].join('\n'),
        params: deploymentParamsSchema,
        headers: logStreamHeadersSchema,
        produces: ['text/plain', 'text/event-stream'],
        response: {
          200: {
            description: 'The log',
            content: {
              'text/plain': { schema: z.string() },
              'text/event-stream': { schema: z.string() },
            },
          },
          ...problemResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!request.headers.accept?.includes('text/event-stream')) {
        return reply.type('text/plain; charset=utf-8').send(await deployments.log(id));
      }
      const lastEventId = request.headers['last-event-id'];
      const stream: { current: EventStream | null } = { current: null };
      const stop = await logStream.follow(
        id,
        lastEventId === undefined ? null : BigInt(lastEventId),
        (event) => {
          stream.current ??= openEventStream(request, reply);
          sendLogStreamEvent(stream.current, event);
        },
      );
      stream.current ??= openEventStream(request, reply);
      stream.current.onClose(stop);
      return reply;
    },
  );
};
