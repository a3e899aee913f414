import * as fs from 'fs';
import * as path from 'path';

let packageRoot: string | undefined;

/**
 * The folder of a pre-bundled Lambda handler, `dist/handlers/<name>` of this package (built by `npm run bundle`
 * with esbuild, never Docker). Works from the TypeScript sources and from the compiled package alike.
 *
 * @throws Error naming the missing folder and the command that builds it
 */
export function handlerAssetPath(name: string): string {
  if (!packageRoot) {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, 'package.json')) || !isThisPackage(dir)) {
      const parent = path.dirname(dir);
      if (parent === dir) throw new Error(`cdk-llmops: cannot find the package root above ${__dirname}`);
      dir = parent;
    }
    packageRoot = dir;
  }
  const folder = path.join(packageRoot, 'dist', 'handlers', name);
  if (!fs.existsSync(path.join(folder, 'index.js'))) {
    throw new Error(`cdk-llmops: the Lambda handler bundle ${folder}/index.js is missing; run 'npm run bundle' (npm run build and npm test do it)`);
  }
  return folder;
}

function isThisPackage(dir: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name === 'cdk-llmops';
  } catch {
    return false;
  }
}
