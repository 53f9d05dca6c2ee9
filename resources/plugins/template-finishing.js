'use strict';

/**
 * Last touches on the compiled template that serverless (osls 4) cannot express in YAML.
 *
 * 1. Stage throttling. osls creates the REST API stage through the Deployment resource (and
 *    patches tracing/logs over the SDK after deploy), so there is no Stage resource to put
 *    MethodSettings on. The Deployment's StageDescription carries them instead; serverless
 *    replaces the Deployment on every deploy, so CloudFormation re-applies them each time.
 *    Values: custom.apiStage.{throttlingBurstLimit, throttlingRateLimit}.
 * 2. serverless-iam-roles-per-function gives every function its own role and leaves the
 *    provider-wide role (IamRoleLambdaExecution) behind, unused but holding the union of
 *    everyone's grants. It is removed when nothing references it.
 * 3. The same plugin lists each function's role in DependsOn although Role's GetAtt already
 *    orders them (cfn-lint W3005); the duplicate is dropped.
 *
 * Runs in `before:package:finalize`, after serverless-iam-roles-per-function (listed before
 * this plugin in serverless.yml) and before the template is written.
 */
class TemplateFinishing {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.finish() };
  }

  finish() {
    const service = this.serverless.service;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    const stage = (service.custom && service.custom.apiStage) || {};

    for (const resource of Object.values(resources)) {
      if (resource.Type === 'AWS::ApiGateway::Deployment' && resource.Properties.StageName) {
        resource.Properties.StageDescription = {
          TracingEnabled: true,
          MetricsEnabled: true,
          ThrottlingBurstLimit: Number(stage.throttlingBurstLimit),
          ThrottlingRateLimit: Number(stage.throttlingRateLimit),
        };
      }
      if (resource.Type === 'AWS::Lambda::Function' && Array.isArray(resource.DependsOn)) {
        const role = resource.Properties.Role && resource.Properties.Role['Fn::GetAtt'];
        if (Array.isArray(role)) {
          resource.DependsOn = resource.DependsOn.filter((id) => id !== role[0]);
        }
      }
    }

    const globalRole = 'IamRoleLambdaExecution';
    if (resources[globalRole]) {
      const others = Object.entries(resources).filter(([id]) => id !== globalRole);
      if (!JSON.stringify(others).includes(`"${globalRole}"`)) {
        delete resources[globalRole];
      }
    }
  }
}

module.exports = TemplateFinishing;
