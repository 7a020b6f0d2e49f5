// The AWS SDK commands a client sends, by name, as tests count them (e.g. that a steady state sends none).
import type { MiddlewareStack } from '@smithy/types';

/** Records every command `client` sends from now on; the array is live (clear it with `length = 0`). */
export function sentCommands(client: {
  middlewareStack: Pick<MiddlewareStack<object, object>, 'add'>;
}): string[] {
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(context.commandName ?? '');
      return next(args);
    },
    { step: 'initialize' },
  );
  return sent;
}
