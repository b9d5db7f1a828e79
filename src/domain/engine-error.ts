// Errors of the pure engine carry the stage where they arise, as the conformance vectors do.

export type EngineStage = 'config' | 'reference' | 'rewrite' | 'render' | 'input';

export class EngineError extends Error {
  readonly stage: EngineStage;
  constructor(stage: EngineStage, message: string) {
    super(message);
    this.name = 'EngineError';
    this.stage = stage;
  }
}
