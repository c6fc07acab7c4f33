import { AdsErrorSubcodes, invalidParameter } from './ads-graph-error';

/**
 * The audience or dataset kept under `id`, created when it is new, unless the sandbox already
 * keeps `max` of its kind (its memory bound, SANDBOX_ADS_MAX_OBJECTS).
 */
export function objectOrNew<T>(
  objects: Map<string, T>,
  id: string,
  kind: 'audiences' | 'datasets',
  max: number,
  create: () => T,
): T {
  let object = objects.get(id);
  if (!object) {
    if (objects.size >= max) {
      throw invalidParameter(
        AdsErrorSubcodes.SandboxCapacity,
        'Sandbox capacity',
        `the sandbox keeps at most ${max} ${kind} (SANDBOX_ADS_MAX_OBJECTS); reset it`,
      );
    }
    object = create();
    objects.set(id, object);
  }
  return object;
}
