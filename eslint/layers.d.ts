// Types of eslint/layers.js for the TypeScript tests that import it.
import type { ESLint } from 'eslint';

export interface LayerRule {
  layer: string;
  may: string[];
  packages?: string[];
}
export declare const LAYERS: Record<string, LayerRule>;
export declare function folderOf(file: string, srcDir: string): string | null;
export declare function importProblem(fromFile: string, spec: string, srcDir: string): string | null;
export declare const layersPlugin: ESLint.Plugin;
