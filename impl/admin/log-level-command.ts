// The AdminServer's `log_level` command, ours: ZooKeeper changes its log level
// through JMX or by editing logback.xml (which it rescans), neither of which
// this server has. `GET /commands/log_level` answers the threshold;
// `?level=debug` sets it first (impl/observability/logger.ts's setLevel), for
// the process, until the next change or restart. An unknown level changes
// nothing and says why in "error", as ZooKeeper's commands answer a bad
// argument. The change itself is logged (at warn, so that it reaches the
// console even when the file takes the rest).

import { isStructuredLevel, type StructuredLogger, structuredLevels } from '../observability/logger.ts';
import type { AdminCommand } from './admin-commands.ts';

export function logLevelCommand(log: StructuredLogger): AdminCommand {
  return {
    names: ['log_level'],
    serverRequired: false,
    run: (_server, args) => {
      const wanted = args.get('level');
      const previous = log.level();
      if (wanted === undefined) return { level: previous };
      if (!isStructuredLevel(wanted)) return { level: previous, error: `invalid level ${JSON.stringify(wanted)}: expected one of ${structuredLevels.join(', ')}` };
      log.setLevel(wanted);
      log('warn', 'log-level-changed', { from: previous, to: wanted, message: 'log level changed through the AdminServer' });
      return { level: wanted, previous };
    },
  };
}
