// A seeded run of mixed faults under the safety workload: every 0.8-2 s a
// seeded choice kills a member (SIGKILL), restarts a dead one, cuts one off
// (refusing or silent) or heals it, never taking down more than one member of
// three at a time, so a majority is always there to make progress. After
// twelve seconds everything is healed and restarted, the ensemble must elect
// and take writes again, and the history must pass every check of
// safety-workload.ts on every member. The fault schedule is printed with the
// seed on failure; ZKSPEC_SEED replays a run.

import { afterEach, describe, expect, it } from 'vitest';
import { Ensemble, testsRunAgainst } from './cluster.ts';
import { SafetyWorkload, seededRandom } from './safety-workload.ts';

const ensembles: Ensemble[] = [];
const workloads: SafetyWorkload[] = [];
afterEach(async () => {
  for (const w of workloads.splice(0)) await w.stop(2000);
  for (const e of ensembles.splice(0)) await e.stopAll();
});

const seed = process.env['ZKSPEC_SEED'] !== undefined ? Number(process.env['ZKSPEC_SEED']) : 0x5afe0005;
const faultsForMs = 12_000;

for (const kind of ['zookeeper', 'ours'] as const) {
  describe.runIf(testsRunAgainst(kind))(`a three-member ${kind} ensemble under seeded mixed faults`, () => {
    it('keeps every acknowledged write and never shows a lost one while members crash, restart, and are cut off one at a time', async () => {
      const random = seededRandom(seed ^ (kind === 'ours' ? 1 : 2));
      const schedule: string[] = [];
      const e = await Ensemble.start({ kind, size: 3, tickTimeMs: 200, initLimitTicks: 20, syncLimitTicks: 10 });
      ensembles.push(e);
      try {
        await e.waitUntilServing(e.ids, 30_000);
        await e.leader(20_000);
        const w = new SafetyWorkload(e, { root: '/nemesis', writers: 6, registersPerWriter: 4, readers: 3, readsInFlight: 4, seed });
        workloads.push(w);
        await w.setup();
        w.start();
        await w.waitForAcks(200, 10_000, 'before the faults');

        let faulty: { id: number; how: 'killed' | 'isolated' } | undefined;
        const startedMs = Date.now();
        while (Date.now() - startedMs < faultsForMs) {
          await new Promise((r) => setTimeout(r, 800 + Math.floor(random() * 1200)));
          const at = `${((Date.now() - startedMs) / 1000).toFixed(1)}s`;
          if (faulty === undefined) {
            const id = e.ids[Math.floor(random() * e.ids.length)]!;
            const roll = random();
            if (roll < 0.4) {
              await e.kill(id);
              faulty = { id, how: 'killed' };
            } else {
              e.partition(id, roll < 0.7 ? 'refuse' : 'stall');
              faulty = { id, how: 'isolated' };
            }
            schedule.push(`${at} ${faulty.how === 'killed' ? 'kill' : `isolate (${roll < 0.7 ? 'refuse' : 'stall'})`} ${id}`);
          } else {
            if (faulty.how === 'killed') e.restart(faulty.id);
            else e.heal(faulty.id);
            schedule.push(`${at} ${faulty.how === 'killed' ? 'restart' : 'heal'} ${faulty.id}`);
            faulty = undefined;
          }
        }
        if (faulty?.how === 'killed') e.restart(faulty.id);
        if (faulty?.how === 'isolated') e.heal(faulty.id);
        schedule.push('end: all healed and running');

        await e.waitUntilServing(e.ids, 30_000);
        await e.leader(20_000);
        await w.waitForAcks(200, 15_000, 'after the faults');
        await w.stop();
        const report = await w.verify();
        expect(report.violations).toEqual([]);
        expect(w.unexpectedErrors).toEqual([]);
        expect(report.membersChecked).toEqual([1, 2, 3]);
        expect(report.ackedSetData + report.ackedCreates).toBe(w.acks);
        // At least three faults and their repairs happened in the window.
        expect(schedule.length).toBeGreaterThanOrEqual(7);
      } catch (error) {
        throw new Error(`[seed ${seed}, ZKSPEC_SEED=${seed} to replay] faults: ${schedule.join('; ')}\n${(error as Error).message}\n${e.describeLogs(e.ids, 2000)}`, { cause: error });
      }
    }, 90_000);
  });
}
