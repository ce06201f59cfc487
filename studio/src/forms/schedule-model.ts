/** One start/stop schedule as the API takes it (Azure's computeStartStop entry). */
export interface Schedule {
  action: 'Start' | 'Stop';
  status: 'Enabled' | 'Disabled';
  triggerType: 'Cron' | 'Recurrence';
  cron?: { expression: string; timeZone?: string };
  recurrence?: {
    frequency: string;
    interval: number;
    timeZone?: string;
    schedule: { hours: number[]; minutes: number[]; weekDays?: string[] };
  };
}

/** Azure's week day names. */
export const weekDays = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** A new schedule: stop at 18:00 on weekdays, UTC. */
export function newSchedule(): Schedule {
  return {
    action: 'Stop',
    status: 'Enabled',
    triggerType: 'Recurrence',
    recurrence: {
      frequency: 'Week',
      interval: 1,
      timeZone: 'UTC',
      schedule: { hours: [18], minutes: [0], weekDays: weekDays.slice(0, 5) },
    },
  };
}
