/**
 * What azure-ai-ml 1.4.0 sends in a compute PUT differs from Azure's documented body in small ways
 * Azure itself tolerates; these are normalized here, before the native validation, and nothing else:
 * - schedule actions in lower case (`stop`) → `Stop`/`Start`;
 * - instance fields at their only or default value (`computeInstanceAuthorizationType: personal`,
 *   `enableNodePublicIp: true`), which Hangar does not model, are dropped; other values stay and are refused;
 * - a setup script without a timeout is sent as `"timeout": "Nonem"` → no timeout.
 */
export function normalizeSdkComputeBody(body: unknown): void {
  const props = (body as { properties?: { computeType?: unknown; properties?: Record<string, unknown> } })
    ?.properties;
  const inner = props?.properties;
  if (!inner || typeof inner !== 'object') return;
  const schedules = (inner.schedules as { computeStartStop?: unknown } | undefined)?.computeStartStop;
  if (Array.isArray(schedules))
    for (const s of schedules as Record<string, unknown>[]) {
      if (typeof s.action === 'string' && /^(start|stop)$/i.test(s.action))
        s.action = s.action[0]?.toUpperCase() + s.action.slice(1).toLowerCase();
    }
  if (props.computeType === 'ComputeInstance') {
    if (inner.computeInstanceAuthorizationType === 'personal') delete inner.computeInstanceAuthorizationType;
    if (inner.enableNodePublicIp === true) delete inner.enableNodePublicIp;
  }
  const scripts = (
    inner.setupScripts as { scripts?: Record<string, { timeout?: unknown } | undefined> } | undefined
  )?.scripts;
  for (const script of Object.values(scripts ?? {}))
    if (script && script.timeout === 'Nonem') delete script.timeout;
}
