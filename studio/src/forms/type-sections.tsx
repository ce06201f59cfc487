import type { ReactNode } from 'react';
import { Field } from '../components/ui.js';
import type { ComputeForm } from './compute-form-state.js';
import { IdentityField } from './identity-field.js';
import { SchedulesEditor } from './schedules-editor.js';
import { SshSettings } from './ssh-settings.js';
import { VmSizePicker } from './vm-size-picker.js';

type Props = { form: ComputeForm; update: (patch: Partial<ComputeForm>) => void };

const num = (v: string): number => (v === '' ? 0 : Number(v));

function ScaleFields({ form, update }: Props): ReactNode {
  return (
    <fieldset>
      <legend>Scale</legend>
      <div className="row">
        <Field label="Minimum number of nodes">
          {(id) => (
            <input
              id={id}
              type="number"
              min={0}
              value={form.minNodes}
              onChange={(e) => update({ minNodes: num(e.target.value) })}
            />
          )}
        </Field>
        <Field label="Maximum number of nodes">
          {(id) => (
            <input
              id={id}
              type="number"
              min={0}
              value={form.maxNodes}
              onChange={(e) => update({ maxNodes: num(e.target.value) })}
            />
          )}
        </Field>
        <Field label="Idle seconds before scale down">
          {(id) => (
            <input
              id={id}
              type="number"
              min={0}
              value={form.idleSeconds}
              onChange={(e) => update({ idleSeconds: num(e.target.value) })}
            />
          )}
        </Field>
      </div>
    </fieldset>
  );
}

function Priority({ form, update }: Props): ReactNode {
  return (
    <fieldset>
      <legend>Virtual machine tier</legend>
      <div role="radiogroup" aria-label="Virtual machine tier" className="inline">
        <label>
          <input
            type="radio"
            name="tier"
            checked={form.priority === 'Dedicated'}
            onChange={() => update({ priority: 'Dedicated' })}
          />{' '}
          Dedicated
        </label>
        <label>
          <input
            type="radio"
            name="tier"
            checked={form.priority === 'LowPriority'}
            onChange={() => update({ priority: 'LowPriority' })}
          />{' '}
          Low priority (may be preempted; jobs resume elsewhere)
        </label>
      </div>
    </fieldset>
  );
}

function InstanceSection({ form, update }: Props): ReactNode {
  return (
    <>
      <VmSizePicker
        location={form.location}
        computeType="ComputeInstance"
        value={form.vmSize}
        onChange={(vmSize) => update({ vmSize })}
      />
      <fieldset>
        <legend>Idle shutdown</legend>
        <label className="block">
          <input
            type="checkbox"
            checked={form.idleShutdown.enabled}
            onChange={(e) => update({ idleShutdown: { ...form.idleShutdown, enabled: e.target.checked } })}
          />{' '}
          Shut down when idle
        </label>
        {form.idleShutdown.enabled && (
          <Field label="Minutes idle before shutdown" hint="15 to 4320">
            {(id, d) => (
              <input
                id={id}
                type="number"
                min={15}
                max={4320}
                aria-describedby={d}
                value={form.idleShutdown.minutes}
                onChange={(e) =>
                  update({ idleShutdown: { ...form.idleShutdown, minutes: num(e.target.value) } })
                }
              />
            )}
          </Field>
        )}
      </fieldset>
      <fieldset>
        <legend>Schedules</legend>
        <SchedulesEditor value={form.schedules} onChange={(schedules) => update({ schedules })} />
      </fieldset>
      <SshSettings
        value={form.ssh}
        onChange={(ssh) => update({ ssh })}
        defaultKeyName={`${form.name || 'instance'}-key`}
      />
      <IdentityField value={form.identity} onChange={(identity) => update({ identity })} />
      <label className="block">
        <input
          type="checkbox"
          checked={form.startAfterCreation}
          onChange={(e) => update({ startAfterCreation: e.target.checked })}
        />{' '}
        Start the instance after creation
      </label>
    </>
  );
}

function ClusterSection({ form, update }: Props): ReactNode {
  const ssh = form.clusterSsh;
  return (
    <>
      <Priority form={form} update={update} />
      <VmSizePicker
        location={form.location}
        computeType="AmlCompute"
        value={form.vmSize}
        onChange={(vmSize) => update({ vmSize })}
        lowPriority={form.priority === 'LowPriority'}
      />
      <ScaleFields form={form} update={update} />
      <fieldset>
        <legend>SSH access</legend>
        <label className="block">
          <input
            type="checkbox"
            checked={ssh.enabled}
            onChange={(e) => update({ clusterSsh: { ...ssh, enabled: e.target.checked } })}
          />{' '}
          Enable SSH access to nodes
        </label>
        {ssh.enabled && (
          <div className="row">
            <Field label="Admin user name">
              {(id) => (
                <input
                  id={id}
                  value={ssh.user}
                  onChange={(e) => update({ clusterSsh: { ...ssh, user: e.target.value } })}
                />
              )}
            </Field>
            <Field label="SSH public key">
              {(id) => (
                <textarea
                  id={id}
                  rows={2}
                  value={ssh.publicKey}
                  onChange={(e) => update({ clusterSsh: { ...ssh, publicKey: e.target.value } })}
                />
              )}
            </Field>
          </div>
        )}
      </fieldset>
      <IdentityField value={form.identity} onChange={(identity) => update({ identity })} />
    </>
  );
}

function InferenceSection({ form, update }: Props): ReactNode {
  return (
    <>
      <VmSizePicker
        location={form.location}
        computeType="AKS"
        value={form.vmSize}
        onChange={(vmSize) => update({ vmSize })}
      />
      <div className="row">
        <Field label="Number of nodes">
          {(id) => (
            <input
              id={id}
              type="number"
              min={1}
              value={form.agentCount}
              onChange={(e) => update({ agentCount: num(e.target.value) })}
            />
          )}
        </Field>
        <Field label="Cluster purpose">
          {(id) => (
            <select
              id={id}
              value={form.clusterPurpose}
              onChange={(e) => update({ clusterPurpose: e.target.value as ComputeForm['clusterPurpose'] })}
            >
              <option value="FastProd">Production</option>
              <option value="DenseProd">Dense production</option>
              <option value="DevTest">Dev-test</option>
            </select>
          )}
        </Field>
      </div>
    </>
  );
}

function MachineSection({ form, update }: Props): ReactNode {
  const m = form.machine;
  const set = (patch: Partial<typeof m>): void => update({ machine: { ...m, ...patch } });
  return (
    <fieldset>
      <legend>Machine</legend>
      <div className="row">
        <Field label="Address (host name or IP)">
          {(id) => (
            <input id={id} value={m.address} onChange={(e) => set({ address: e.target.value })} required />
          )}
        </Field>
        <Field label="SSH port">
          {(id) => (
            <input
              id={id}
              type="number"
              value={m.port}
              onChange={(e) => set({ port: num(e.target.value) })}
            />
          )}
        </Field>
        <Field label="User name">
          {(id) => <input id={id} value={m.user} onChange={(e) => set({ user: e.target.value })} required />}
        </Field>
      </div>
      <div role="radiogroup" aria-label="Authentication" className="inline">
        <label>
          <input type="radio" name="auth" checked={m.auth === 'key'} onChange={() => set({ auth: 'key' })} />{' '}
          Private key
        </label>
        <label>
          <input
            type="radio"
            name="auth"
            checked={m.auth === 'password'}
            onChange={() => set({ auth: 'password' })}
          />{' '}
          Password
        </label>
      </div>
      {m.auth === 'key' ? (
        <Field label="Private key" hint="Stored encrypted; never shown again.">
          {(id, d) => (
            <textarea
              id={id}
              rows={4}
              aria-describedby={d}
              value={m.privateKey}
              onChange={(e) => set({ privateKey: e.target.value })}
            />
          )}
        </Field>
      ) : (
        <Field label="SSH password" hint="Stored encrypted; never shown again.">
          {(id, d) => (
            <input
              id={id}
              type="password"
              autoComplete="new-password"
              aria-describedby={d}
              value={m.password}
              onChange={(e) => set({ password: e.target.value })}
            />
          )}
        </Field>
      )}
    </fieldset>
  );
}

function SlurmSection({ form, update }: Props): ReactNode {
  const s = form.slurm;
  const set = (patch: Partial<typeof s>): void => update({ slurm: { ...s, ...patch } });
  return (
    <>
      <fieldset>
        <legend>Slurm</legend>
        <div className="row">
          <Field label="Partition">
            {(id) => (
              <input
                id={id}
                value={s.partition}
                onChange={(e) => set({ partition: e.target.value })}
                required
              />
            )}
          </Field>
          <Field label="QOS (optional)">
            {(id) => <input id={id} value={s.qos} onChange={(e) => set({ qos: e.target.value })} />}
          </Field>
          <Field label="Account (optional)">
            {(id) => <input id={id} value={s.account} onChange={(e) => set({ account: e.target.value })} />}
          </Field>
        </div>
        <div role="radiogroup" aria-label="Where sbatch runs" className="inline">
          <label>
            <input
              type="radio"
              name="where"
              checked={s.where === 'local'}
              onChange={() => set({ where: 'local' })}
            />{' '}
            On the Hangar server’s host
          </label>
          <label>
            <input
              type="radio"
              name="where"
              checked={s.where === 'login'}
              onChange={() => set({ where: 'login' })}
            />{' '}
            On a login node over SSH
          </label>
        </div>
        {s.where === 'local' ? (
          <Field label="slurm.conf path (optional)">
            {(id) => (
              <input id={id} value={s.slurmConf} onChange={(e) => set({ slurmConf: e.target.value })} />
            )}
          </Field>
        ) : (
          <div className="row">
            <Field label="Login host (user@host[:port])">
              {(id) => (
                <input id={id} value={s.loginHost} onChange={(e) => set({ loginHost: e.target.value })} />
              )}
            </Field>
            <Field label="SSH private key">
              {(id) => (
                <textarea
                  id={id}
                  rows={3}
                  value={s.privateKey}
                  onChange={(e) => set({ privateKey: e.target.value })}
                />
              )}
            </Field>
          </div>
        )}
      </fieldset>
      <Priority form={form} update={update} />
      <ScaleFields form={form} update={update} />
    </>
  );
}

/** The part of the form that depends on the compute kind. */
export function TypeSection(props: Props): ReactNode {
  switch (props.form.kind) {
    case 'instance':
      return <InstanceSection {...props} />;
    case 'cluster':
      return <ClusterSection {...props} />;
    case 'inference':
      return <InferenceSection {...props} />;
    case 'ssh':
      return <MachineSection {...props} />;
    case 'slurm':
      return <SlurmSection {...props} />;
  }
}
