import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { VerifyClock } from './io';
import { AlarmsReport } from './report';
import { withRetry } from './retry';

/** DescribeAlarms takes at most 100 AlarmNames per call. */
const BATCH = 100;

/**
 * Describes the named alarms (metric and composite: without AlarmTypes, DescribeAlarms returns only metric
 * alarms), 100 names per call and every page of each, and lists those in ALARM. INSUFFICIENT_DATA passes: a
 * freshly deployed alarm has no data yet, and the stack's alarms treat missing data as not breaching.
 */
export async function checkAlarms(cloudWatch: CloudWatchClient, alarmNames: readonly string[], clock: VerifyClock): Promise<AlarmsReport> {
  let checked = 0;
  const inAlarm: Array<{ name: string; reason?: string }> = [];
  for (let i = 0; i < alarmNames.length; i += BATCH) {
    const names = alarmNames.slice(i, i + BATCH);
    let nextToken: string | undefined;
    do {
      const page = await withRetry(() => cloudWatch.send(new DescribeAlarmsCommand({
        AlarmNames: names, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: BATCH, NextToken: nextToken,
      })), clock);
      for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        checked++;
        if (a.StateValue === 'ALARM') inAlarm.push({ name: a.AlarmName ?? '?', reason: a.StateReason });
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return { checked, inAlarm };
}
