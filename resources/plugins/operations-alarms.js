'use strict';

/**
 * Alarms that must cover every function and every dead-letter queue of the template,
 * including the ones added after this file was written (SPEC §6: "any Lambda throttled",
 * "DLQ depth > 0"). Writing them by hand per resource is how one gets forgotten; here they
 * are derived from the compiled template once everything is merged:
 *
 * 1. `<Function>ThrottlesAlarm` for every AWS::Lambda::Function: Throttles >= 1 in 5
 *    minutes -> the engineering topic (AlarmTopic).
 * 2. `<Queue>DepthAlarm` for every SQS queue used as a dead-letter queue (a RedrivePolicy's
 *    deadLetterTargetArn, an OnFailure destination of an event source mapping or async
 *    invoke config, a DeadLetterConfig of a rule or schedule target, or a logical id ending
 *    in DLQ) that has no hand-written depth alarm yet: visible messages >= 1 ->
 *    engineering, and also property managers (PropertyManagerAlertsTopic) when the queue
 *    holds payments (logical id matching custom.alerting.propertyManagerQueuePattern,
 *    default /^RetryDLQ$/: issue 13's retry DLQ).
 *
 * Runs after the custom resources (resources/*.yml) are merged and before the template is
 * written. tests/deploy/test_alarms.py checks the result.
 */
class OperationsAlarms {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.add(),
    };
  }

  add() {
    const service = this.serverless.service;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    const alerting = (service.custom && service.custom.alerting) || {};
    const pattern = new RegExp(alerting.propertyManagerQueuePattern || '^RetryDLQ$');
    const engineering = { Ref: 'AlarmTopic' };
    const managers = { Ref: 'PropertyManagerAlertsTopic' };

    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const alarmId = `${id.replace(/LambdaFunction$/, '')}ThrottlesAlarm`;
      if (resources[alarmId]) continue;
      resources[alarmId] = {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: `${resource.Properties.FunctionName}-throttled`,
          AlarmDescription: `${resource.Properties.FunctionName} was throttled (concurrency limit reached)`,
          Namespace: 'AWS/Lambda',
          MetricName: 'Throttles',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }],
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [engineering],
          OKActions: [engineering],
        },
      };
    }

    const alarmed = new Set();
    for (const resource of Object.values(resources)) {
      const p = resource.Properties || {};
      if (resource.Type === 'AWS::CloudWatch::Alarm' && p.Namespace === 'AWS/SQS' &&
          p.MetricName === 'ApproximateNumberOfMessagesVisible') {
        for (const d of p.Dimensions || []) {
          const att = d.Value && d.Value['Fn::GetAtt'];
          if (Array.isArray(att)) alarmed.add(att[0]);
        }
      }
    }
    for (const queue of deadLetterQueues(resources)) {
      if (alarmed.has(queue)) continue;
      const actions = pattern.test(queue) ? [engineering, managers] : [engineering];
      resources[`${queue}DepthAlarm`] = {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          AlarmName: { 'Fn::Sub': `\${${queue}.QueueName}-depth` },
          AlarmDescription: `Messages are waiting in ${queue}`,
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: actions,
          OKActions: actions,
        },
      };
    }
  }
}

/** Logical ids of the SQS queues that receive what failed elsewhere. */
function deadLetterQueues(resources) {
  const queues = new Set(
    Object.keys(resources).filter((id) => resources[id].Type === 'AWS::SQS::Queue'));
  const found = new Set([...queues].filter((id) => /DLQ$/.test(id)));
  const targets = (node) => {
    if (Array.isArray(node)) return node.forEach(targets);
    if (!node || typeof node !== 'object') return undefined;
    const att = node['Fn::GetAtt'];
    if (Array.isArray(att) && queues.has(att[0])) found.add(att[0]);
    return Object.values(node).forEach(targets);
  };
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return undefined;
    for (const [key, value] of Object.entries(node)) {
      if (['deadLetterTargetArn', 'DeadLetterConfig', 'OnFailure'].includes(key)) targets(value);
      else walk(value);
    }
    return undefined;
  };
  walk(resources);
  return [...found].sort();
}

module.exports = OperationsAlarms;
module.exports.deadLetterQueues = deadLetterQueues;
