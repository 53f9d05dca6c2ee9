'use strict';

/**
 * One zip per group of functions, each holding only the requirements they import (issue 17).
 *
 * serverless-python-requirements builds one requirements set per zip, and every function
 * used to ship all of it: fontTools and Pillow (through fpdf2) and the Stripe SDK were in
 * every function's bundle. The service is still built once (our code, requirements-lambda.txt,
 * then 3.12 bytecode by bundle-bytecode.js), and this plugin derives the zips the functions
 * ship with resources/plugins/split_bundle.py: `custom.bundles.optional` names groups of
 * distributions that only some functions import, `custom.bundles.functions` which function
 * needs which groups; every other function gets the `core` zip, without any of them. Each
 * function's `package.artifact` then points at its zip (the CloudFormation template's S3 keys,
 * and what `osls deploy` uploads); the full zip is removed, as nothing ships it.
 *
 * Listed after bundle-bytecode.js in serverless.yml: the zip it splits already has its pycs.
 * Runs after packaging, and after a single function's repackaging (`deploy function`).
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const SCRIPT = path.join(__dirname, 'split_bundle.py');
const CORE = 'core';

class FunctionBundles {
  constructor(serverless, options, utils) {
    this.serverless = serverless;
    this.options = options || {};
    this.log = (utils && utils.log) || { notice: console.log, warning: console.warn };
    this.hooks = {
      'after:package:createDeploymentArtifacts': () => this.splitAll(),
      'after:deploy:function:packageFunction': () => this.splitAll(this.options.function),
    };
  }

  config() {
    const custom = this.serverless.service.custom || {};
    const bundles = custom.bundles;
    if (!bundles) return null;
    const optional = bundles.optional || {};
    const functions = bundles.functions || {};
    const known = new Set(this.serverless.service.getAllFunctions());
    for (const [name, groups] of Object.entries(functions)) {
      if (!known.has(name)) throw new Error(`custom.bundles.functions: no function ${name}`);
      for (const group of groups) {
        if (!optional[group]) throw new Error(`custom.bundles.functions.${name}: no group ${group}`);
      }
    }
    return { optional, functions };
  }

  /** The bundle a function ships: its optional groups, sorted, or `core`. */
  static bundleName(groups) {
    return groups.length ? [...groups].sort().join('-') : CORE;
  }

  pythonBin() {
    const requirements = (this.serverless.service.custom || {}).pythonRequirements || {};
    return requirements.pythonBin || 'python3';
  }

  splitAll(only) {
    const config = this.config();
    if (!config) return;
    const service = this.serverless.service;
    const names = only ? [only] : service.getAllFunctions();
    const bySource = new Map();
    for (const name of names) {
      const fn = service.getFunction(name);
      if (fn.image) continue;
      fn.package = fn.package || {};
      const source = fn.package.artifact || service.package.artifact;
      if (!source || !source.endsWith('.zip') || !fs.existsSync(source)) {
        throw new Error(`function-bundles: no zip to split for ${name} (${source})`);
      }
      const groups = config.functions[name] || [];
      if (!bySource.has(source)) bySource.set(source, new Map());
      bySource.get(source).set(name, groups);
    }
    for (const [source, functions] of bySource) {
      const bundles = {};
      const assignment = {};
      for (const [name, groups] of functions) {
        const bundle = FunctionBundles.bundleName(groups);
        bundles[bundle] = groups;
        assignment[name] = bundle;
      }
      const planFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sfr3-bundles-')), 'plan.json');
      fs.writeFileSync(planFile, JSON.stringify({ optional: config.optional, bundles, functions: assignment }));
      const result = spawnSync(this.pythonBin(), [SCRIPT, source, '--plan', planFile], { encoding: 'utf8' });
      if (result.error || result.status !== 0) {
        const why = result.error ? result.error.message : `${result.stdout}\n${result.stderr}`;
        throw new Error(`split_bundle.py failed on ${source}:\n${why}`);
      }
      if (result.stdout.trim()) this.log.notice(result.stdout.trim());
      const stem = path.basename(source, '.zip');
      for (const [name, bundle] of Object.entries(assignment)) {
        service.getFunction(name).package.artifact = path.join(path.dirname(source), `${stem}-${bundle}.zip`);
      }
      if (source === service.package.artifact && !only) {
        // Nothing ships the full zip any more: neither upload nor change detection sees it.
        fs.unlinkSync(source);
        delete service.package.artifact;
        delete service.artifact;
      }
    }
  }
}

module.exports = FunctionBundles;
