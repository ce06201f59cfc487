import { useState, type ReactNode } from 'react';
import type { VmSize as CatalogSize } from '../../../src/domain/compute/vm-sizes.js';
import { getJson } from '../lib/api.js';
import { usePoll } from '../lib/use-poll.js';
import { ErrorBanner } from '../components/ui.js';

/**
 * A VM size as /locations/{l}/vmSizes lists it: the catalog entry plus what the server derives,
 * with the GPUs the location's host really has where the server knows them.
 */
export type VmSize = CatalogSize & {
  vmType: 'CPU' | 'GPU';
  supportedComputeTypes: string[];
  gpusAvailable?: number;
  gpusFree?: number;
  available?: boolean;
  unavailableReason?: string;
};

/** The GPU cell: the catalogue's count, and what the location has beside it when known. */
function gpuText(s: VmSize): string {
  const own = s.gpus ? `${s.gpus} × ${s.gpuType ?? 'GPU'}` : '0';
  if (s.gpusAvailable === undefined || !s.gpus) return own;
  return `${own} (location has ${s.gpusAvailable}, ${s.gpusFree ?? 0} free)`;
}

interface Usage {
  name: { value: string };
  currentValue: number;
  limit: number;
}

/** Sizes of a location with what quota each family has left (low-priority nodes share one pool). */
export function useSizes(location: string): {
  sizes: VmSize[];
  remaining: (s: VmSize, lowPriority: boolean) => number | undefined;
  error: unknown;
} {
  const r = usePoll(
    async () => {
      const [sizes, usages] = await Promise.all([
        getJson<{ value: VmSize[] }>(`/api/locations/${encodeURIComponent(location)}/vmSizes`),
        getJson<{ value: Usage[] }>(`/api/locations/${encodeURIComponent(location)}/usages`),
      ]);
      return { sizes: sizes.value, usages: usages.value };
    },
    0,
    [location],
  );
  const remaining = (s: VmSize, lowPriority: boolean): number | undefined => {
    const u = r.data?.usages.find((x) => x.name.value === (lowPriority ? 'lowPriorityCores' : s.family));
    return u ? u.limit - u.currentValue : undefined;
  };
  return { sizes: r.data?.sizes ?? [], remaining, error: r.error };
}

/** Picks a VM size: CPU or GPU, then a table with vCPUs, memory, GPUs and remaining quota. */
export function VmSizePicker({
  location,
  computeType,
  value,
  onChange,
  lowPriority = false,
}: {
  location: string;
  computeType: string;
  value: string;
  onChange: (v: string) => void;
  lowPriority?: boolean;
}): ReactNode {
  const { sizes, remaining, error } = useSizes(location);
  const [kind, setKind] = useState<'CPU' | 'GPU'>('CPU');
  const shown = sizes.filter(
    (s) =>
      s.vmType === kind &&
      s.supportedComputeTypes.includes(computeType) &&
      (!lowPriority || s.lowPriorityCapable),
  );
  return (
    <fieldset className="sizes">
      <legend>Virtual machine size</legend>
      <div role="radiogroup" aria-label="Virtual machine type" className="inline">
        {(['CPU', 'GPU'] as const).map((k) => (
          <label key={k}>
            <input type="radio" name="vm-type" checked={kind === k} onChange={() => setKind(k)} /> {k}
          </label>
        ))}
      </div>
      <ErrorBanner error={error} />
      <div className="table-wrap sizes-table">
        <table aria-label="Virtual machine sizes">
          <thead>
            <tr>
              <th scope="col">
                <span className="sr-only">Select</span>
              </th>
              <th scope="col">Size</th>
              <th scope="col">vCPUs</th>
              <th scope="col">Memory</th>
              <th scope="col">GPUs</th>
              <th scope="col">Quota left ({lowPriority ? 'low priority' : 'family'})</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => {
              const left = remaining(s, lowPriority);
              const short = left !== undefined && left < s.vCPUs;
              const unavailable = s.available === false;
              return (
                <tr
                  key={s.name}
                  className={value === s.name ? 'selected' : unavailable ? 'unavailable' : undefined}
                >
                  <td>
                    <input
                      type="radio"
                      name="vm-size"
                      id={`size-${s.name}`}
                      aria-label={s.name}
                      checked={value === s.name}
                      disabled={unavailable && value !== s.name}
                      aria-describedby={unavailable ? `size-${s.name}-why` : undefined}
                      onChange={() => onChange(s.name)}
                    />
                  </td>
                  <td>
                    <label htmlFor={`size-${s.name}`}>{s.name}</label>
                    {unavailable ? (
                      <div id={`size-${s.name}-why`} className="warn">
                        Unavailable: {s.unavailableReason}
                      </div>
                    ) : null}
                  </td>
                  <td>{s.vCPUs}</td>
                  <td>{s.memoryGB} GB</td>
                  <td className={unavailable ? 'warn' : undefined}>{gpuText(s)}</td>
                  <td className={short ? 'warn' : undefined}>
                    {left === undefined ? '—' : `${left} cores${short ? ' (not enough for one node)' : ''}`}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </fieldset>
  );
}
