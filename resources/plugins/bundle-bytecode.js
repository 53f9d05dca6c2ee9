'use strict';

/**
 * Puts CPython 3.12 bytecode (unchecked-hash pycs) into the finished Lambda zip.
 *
 * Lambda's /var/task is read-only and the bundle ships sources only (serverless.yml excludes
 * __pycache__, serverless-python-requirements' slim drops pycs), so without this every cold
 * start compiles every module it imports. resources/plugins/compile_bundle.py does the work
 * and writes `<zip stem>.bytecode.json` beside the zip; with no 3.12 interpreter on the
 * machine it warns and leaves the zip as it was (packaging still succeeds).
 *
 * Runs in `after:package:createDeploymentArtifacts` (and after a single function's
 * repackaging), listed after serverless-python-requirements in serverless.yml so that the
 * requirements are already in the zip when it runs.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const SCRIPT = path.join(__dirname, 'compile_bundle.py');

class BundleBytecode {
  constructor(serverless, options, utils) {
    this.serverless = serverless;
    this.log = (utils && utils.log) || { notice: console.log, warning: console.warn };
    this.hooks = {
      'after:package:createDeploymentArtifacts': () => this.compileAll(),
      'after:deploy:function:packageFunction': () => this.compileAll(),
    };
  }

  artifacts() {
    const service = this.serverless.service;
    const paths = [service.package && service.package.artifact];
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      paths.push(fn.package && fn.package.artifact);
    }
    return [...new Set(paths.filter((p) => p && p.endsWith('.zip') && fs.existsSync(p)))];
  }

  /** The interpreter that runs the script (any Python 3; it finds 3.12 itself). */
  pythonBin() {
    const custom = this.serverless.service.custom || {};
    const requirements = custom.pythonRequirements || {};
    return requirements.pythonBin || 'python3';
  }

  compileAll() {
    for (const artifact of this.artifacts()) {
      const result = spawnSync(this.pythonBin(), [SCRIPT, artifact], { encoding: 'utf8' });
      if (result.error) {
        const reason = `cannot run ${this.pythonBin()}: ${result.error.message}`;
        const report = path.join(path.dirname(artifact), `${path.basename(artifact, '.zip')}.bytecode.json`);
        fs.writeFileSync(report, `${JSON.stringify({ status: 'skipped', reason, compiled: 0 }, null, 2)}\n`);
        this.log.warning(`Bundle left without bytecode: ${reason}`);
        continue;
      }
      if (result.status !== 0) {
        throw new Error(`compile_bundle.py failed on ${artifact}:\n${result.stdout}\n${result.stderr}`);
      }
      if (result.stderr.trim()) this.log.warning(result.stderr.trim());
      if (result.stdout.trim()) this.log.notice(result.stdout.trim());
    }
  }
}

module.exports = BundleBytecode;
