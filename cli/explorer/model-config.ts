// Which model the explorer shows: a spec of the registry, a preset, bound
// overrides and a mutant, as `npm run check -- <spec> --preset P --<bound> V
// --mutant M` chooses them. Every API request names its model (the API keeps
// no session: cli/explorer/README.md), so the configuration is validated
// here at the trust boundary (zod) and the built models are kept in a small
// cache keyed by the resolved configuration, since building one (Zab's
// symmetry tables, Raft's scenarios) costs more than a request's replay.

import { z } from 'zod';
import { type Result, err, ok } from '../../lib/result.ts';
import type { BoundValue, Model, SpecDefinition } from '../../model-check/model.ts';

/**
 * The largest integer bound the explorer accepts. A person steps through a
 * handful of servers and messages by hand; a bound of thousands would only
 * make one request enumerate thousands of actions.
 */
export const BOUND_VALUE_MAX = 64;
/** Built models kept (each a few tables; a reviewer switches between a few presets and mutants). */
const MODEL_CACHE_SIZE = 16;

const NAME = z.string().min(1).max(100);

/** A model as a request names it: the preset (default the spec's first), bound overrides, a mutant. */
export const modelConfigSchema = z
  .object({
    spec: NAME,
    preset: NAME.optional(),
    bounds: z.record(NAME, z.union([z.number().int().min(0).max(BOUND_VALUE_MAX), z.boolean()])).optional(),
    mutant: NAME.nullable().optional(),
  })
  .strict();
export type ModelConfig = z.infer<typeof modelConfigSchema>;

/** A configuration with every bound spelled out: what the API hands back and the cache's key. */
export interface ResolvedConfig {
  readonly spec: string;
  readonly preset: string;
  readonly bounds: Readonly<Record<string, BoundValue>>;
  readonly mutant: string | null;
}

export interface LoadedModel {
  readonly config: ResolvedConfig;
  readonly definition: SpecDefinition;
  // biome-ignore lint/suspicious/noExplicitAny: the spec's own state and action types (model.ts's SpecDefinition.build)
  readonly model: Model<any, any>;
}

const names = (items: readonly { readonly name: string }[]) => (items.length === 0 ? '(none)' : items.map((item) => item.name).join(', '));

/** The configuration with the preset's bounds and the overrides applied, or why it names something that does not exist. */
export function resolveConfig(config: ModelConfig, registry: readonly SpecDefinition[]): Result<{ config: ResolvedConfig; definition: SpecDefinition }, string> {
  const definition = registry.find((spec) => spec.name === config.spec);
  if (definition === undefined) return err(`unknown spec '${config.spec}'; registered: ${names(registry)}`);
  const preset = config.preset === undefined ? definition.presets[0] : definition.presets.find((p) => p.name === config.preset);
  if (preset === undefined) return err(`unknown preset '${config.preset}' for ${definition.name}; presets: ${names(definition.presets)}`);
  const mutant = config.mutant ?? null;
  if (mutant !== null && !definition.mutants.some((m) => m.name === mutant)) {
    return err(`unknown mutant '${mutant}' for ${definition.name}; mutants: ${names(definition.mutants)}`);
  }
  const bounds: Record<string, BoundValue> = {};
  for (const bound of definition.bounds) bounds[bound.name] = bound.default;
  Object.assign(bounds, preset.bounds);
  for (const [name, value] of Object.entries(config.bounds ?? {})) {
    const bound = definition.bounds.find((b) => b.name === name);
    if (bound === undefined) return err(`unknown bound '${name}' for ${definition.name}; bounds: ${names(definition.bounds)}`);
    if (typeof value !== typeof bound.default) return err(`bound '${name}' of ${definition.name} must be ${typeof bound.default === 'boolean' ? 'true or false' : 'an integer'}`);
    bounds[name] = value;
  }
  return ok({ config: { spec: definition.name, preset: preset.name, bounds, mutant }, definition });
}

/** Builds and caches models by their resolved configuration. */
export class ModelCache {
  private readonly models = new Map<string, LoadedModel>();

  constructor(private readonly registry: readonly SpecDefinition[]) {}

  load(config: ModelConfig): Result<LoadedModel, string> {
    const resolved = resolveConfig(config, this.registry);
    if (!resolved.ok) return resolved;
    const key = JSON.stringify(resolved.value.config);
    const cached = this.models.get(key);
    if (cached !== undefined) {
      // Most recently used last, so eviction drops the least recently used.
      this.models.delete(key);
      this.models.set(key, cached);
      return ok(cached);
    }
    let model: LoadedModel['model'];
    try {
      model = resolved.value.definition.build(resolved.value.config.bounds, resolved.value.config.mutant ?? undefined);
    } catch (error) {
      // A combination of bounds the spec rejects (its own assertion) is the user's input, not a crash.
      return err(`${resolved.value.config.spec} cannot be built with these bounds: ${error instanceof Error ? error.message : String(error)}`);
    }
    const loaded = { config: resolved.value.config, definition: resolved.value.definition, model };
    this.models.set(key, loaded);
    if (this.models.size > MODEL_CACHE_SIZE) this.models.delete(this.models.keys().next().value!);
    return ok(loaded);
  }
}
