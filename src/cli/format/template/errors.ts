import { PierError } from '../../../util/errors';

/** A template parse or execution error; the message is one line in Go's form (`template: NAME:LINE: ...`). */
export class TemplateError extends PierError {
  /** Execution errors: the text the template had written before failing (podman prints it). */
  partialOutput?: string;

  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}
