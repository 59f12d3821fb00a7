import type { ActionPlugin } from './types.js';
import { configReconcileAction } from './config-reconcile.js';
import { execAction } from './exec.js';
import { filesCleanupAction } from './files-cleanup.js';
import { filesRotateAction } from './files-rotate.js';
import { httpRequestAction } from './http-request.js';
import { mysqlKillQueries } from './mysql.js';
import { notifyAction } from './notify.js';
import { postgresCancelQueries, postgresTerminateQueries } from './postgres.js';
import { processRestart, processScale, processSignal, processStop } from './process.js';
import { redisFlushAction } from './redis.js';
import { sqlDeleteOlderThan } from './sql-delete.js';
import { tlsRenewAction } from './tls.js';

/** Every built-in action, by type. A new action is one file and one line here. */
export const builtinActions: ReadonlyMap<string, ActionPlugin> = new Map<string, ActionPlugin>(
  ([
    processRestart, processSignal, processStop, processScale, execAction, httpRequestAction, notifyAction,
    tlsRenewAction, configReconcileAction,
    postgresCancelQueries, postgresTerminateQueries, mysqlKillQueries, sqlDeleteOlderThan, redisFlushAction, filesCleanupAction, filesRotateAction,
  ] as ActionPlugin[]).map((a) => [a.type, a]),
);
