'use strict';

/**
 * EventBridge Scheduler schedules for the daily jobs: one per job and time zone listed in
 * `custom.jobs.timeZones` (serverless YAML cannot loop over a list). The jobs and their
 * local times are `custom.jobs.schedules`: recurring charges 00:05, autopay sweep 06:00,
 * autopay reminders 09:00, late fees 23:00 by default (13 zones x 4 jobs = 52 schedules).
 *
 * For each zone Z and each job J of `custom.jobs.schedules` ({job, expression}), an
 * `AWS::Scheduler::Schedule` in the jobs group fires `expression` (a cron in local time)
 * with ScheduleExpressionTimezone Z, invoking jobsScheduler with {"job": J, "timeZone": Z}.
 * Each has Scheduler's retry policy (custom.jobs.retry) and the scheduler DLQ. Local time
 * is what matters: rent due on the 1st in Honolulu is posted just after midnight there.
 *
 * Runs at `package:compileEvents`, after the functions and custom resources are compiled.
 */
const FUNCTION = 'JobsSchedulerLambdaFunction';

function pascal(text) {
  return String(text)
    .split(/[^0-9A-Za-z]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

class JobSchedules {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'package:compileEvents': () => this.compile() };
  }

  compile() {
    const service = this.serverless.service;
    const jobs = (service.custom && service.custom.jobs) || {};
    const zones = jobs.timeZones || [];
    const schedules = jobs.schedules || [];
    const retry = jobs.retry || {};
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    if (!resources[FUNCTION]) {
      throw new Error(`job-schedules: ${FUNCTION} is not defined`);
    }
    if (!schedules.length) {
      throw new Error('job-schedules: custom.jobs.schedules is empty');
    }
    const seen = new Set();
    for (const zone of zones) {
      if (typeof zone !== 'string' || !/^[A-Za-z0-9_+\-/]+$/.test(zone)) {
        throw new Error(`job-schedules: bad time zone ${JSON.stringify(zone)}`);
      }
      for (const { job, expression, description } of schedules) {
        const logicalId = `JobsSchedule${pascal(job)}${pascal(zone)}`;
        const name = `${job}-${zone.replace(/[^0-9A-Za-z_.-]/g, '-')}`;
        if (seen.has(logicalId) || name.length > 64) {
          throw new Error(`job-schedules: duplicate or too long schedule ${name}`);
        }
        seen.add(logicalId);
        resources[logicalId] = {
          Type: 'AWS::Scheduler::Schedule',
          Properties: {
            Name: name,
            GroupName: { Ref: 'JobsScheduleGroup' },
            Description: `${description || job} (${zone} local time)`,
            ScheduleExpression: expression,
            ScheduleExpressionTimezone: zone,
            FlexibleTimeWindow: { Mode: 'OFF' },
            State: 'ENABLED',
            Target: {
              Arn: { 'Fn::GetAtt': [FUNCTION, 'Arn'] },
              RoleArn: { 'Fn::GetAtt': ['JobsSchedulerInvokeRole', 'Arn'] },
              Input: JSON.stringify({ job, timeZone: zone }),
              RetryPolicy: {
                MaximumEventAgeInSeconds: Number(retry.maximumEventAgeInSeconds || 3600),
                MaximumRetryAttempts: Number(retry.maximumRetryAttempts || 5),
              },
              DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['JobsSchedulerDLQ', 'Arn'] } },
            },
          },
        };
      }
    }
  }
}

module.exports = JobSchedules;
