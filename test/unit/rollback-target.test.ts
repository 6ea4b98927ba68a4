import { describe, expect, test } from 'vitest';
import { chooseRollbackTarget, type RollbackCandidate } from '../../src/domain/rollback-target.js';

const app = 'app-1';
const d = (
  id: string,
  sequence: number,
  status: RollbackCandidate['status'] = 'succeeded',
  imageId: string | null = `sha256:${id}`,
  applicationId = app,
): RollbackCandidate => ({ id, applicationId, sequence: BigInt(sequence), status, imageId });

const choose = (
  live: RollbackCandidate | null,
  history: RollbackCandidate[],
  to?: RollbackCandidate | null,
  toId?: string,
) =>
  chooseRollbackTarget({
    applicationId: app,
    app: 'shop',
    live,
    to: toId ?? (to === undefined || to === null ? undefined : to.id),
    named: to ?? null,
    history,
  });

describe('the default rollback target', () => {
  test('is the newest succeeded deployment with an image id before the live one', () => {
    const live = d('d5', 5);
    const result = choose(live, [
      d('d1', 1),
      d('d2', 2),
      d('d3', 3, 'failed'),
      d('d4', 4, 'succeeded', null),
      live,
      d('d6', 6),
    ]);
    expect(result).toMatchObject({ ok: true, target: { id: 'd2' } });
  });

  test("never the live release itself, nor another app's deployment", () => {
    const live = d('d2', 2);
    expect(choose(live, [live, d('x1', 1, 'succeeded', 'sha256:x', 'app-2')])).toMatchObject({
      ok: false,
      code: 'NOTHING_TO_ROLL_BACK',
    });
  });

  test('without a live release there is nothing to roll back', () => {
    expect(choose(null, [d('d1', 1)])).toMatchObject({ ok: false, code: 'NOTHING_TO_ROLL_BACK' });
  });

  test('after a rollback, the default is the release before the rollback (undoing it)', () => {
    // d1 v1, d2 v2, d3 rollback to d1 (live): the default goes to d2.
    const live = d('d3', 3);
    expect(choose(live, [d('d1', 1), d('d2', 2), live])).toMatchObject({
      ok: true,
      target: { id: 'd2' },
    });
  });
});

describe('a named target', () => {
  const live = d('d3', 3);
  test('an older succeeded deployment of the app is taken', () => {
    expect(choose(live, [], d('d1', 1))).toMatchObject({ ok: true, target: { id: 'd1' } });
  });
  test('unknown or of another app: DEPLOYMENT_NOT_FOUND', () => {
    expect(choose(live, [], null, 'nope')).toMatchObject({
      ok: false,
      code: 'DEPLOYMENT_NOT_FOUND',
    });
    expect(choose(live, [], d('o1', 1, 'succeeded', 'sha256:o', 'app-2'))).toMatchObject({
      ok: false,
      code: 'DEPLOYMENT_NOT_FOUND',
    });
  });
  test('the live release: ROLLBACK_TARGET_IS_LIVE', () => {
    expect(choose(live, [], live)).toMatchObject({ ok: false, code: 'ROLLBACK_TARGET_IS_LIVE' });
  });
  test('not succeeded, or no image id: ROLLBACK_TARGET_INVALID', () => {
    expect(choose(live, [], d('f1', 1, 'failed'))).toMatchObject({
      ok: false,
      code: 'ROLLBACK_TARGET_INVALID',
    });
    expect(choose(live, [], d('n1', 1, 'succeeded', null))).toMatchObject({
      ok: false,
      code: 'ROLLBACK_TARGET_INVALID',
    });
  });
});
