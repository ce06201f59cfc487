import catalogData from './vm-sizes.json' with { type: 'json' };

/** One VM size of the catalog. */
export interface VmSize {
  name: string;
  /** Quota family, e.g. standardDv2Family. */
  family: string;
  vCPUs: number;
  memoryGB: number;
  gpus: number;
  gpuType: string | null;
  lowPriorityCapable: boolean;
}

/** The VM size catalog (data file vm-sizes.json). */
export const vmSizes: readonly VmSize[] = catalogData.sizes;

const byLowerName = new Map(vmSizes.map((s) => [s.name.toLowerCase(), s]));

/** Case-insensitive lookup: STANDARD_D3_V2 and Standard_D3_v2 are the same size. */
export function findVmSize(name: string): VmSize | undefined {
  return byLowerName.get(name.toLowerCase());
}

/** CPU or GPU, as the size says. */
export function vmTypeOf(size: VmSize): 'CPU' | 'GPU' {
  return size.gpus > 0 ? 'GPU' : 'CPU';
}

/** Sizes offered by a location whose config lists `offered` ('*' = all). */
export function sizesOffered(offered: readonly string[]): VmSize[] {
  if (offered.includes('*')) return [...vmSizes];
  const wanted = new Set(offered.map((n) => n.toLowerCase()));
  return vmSizes.filter((s) => wanted.has(s.name.toLowerCase()));
}
