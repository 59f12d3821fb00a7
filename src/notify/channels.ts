import type { ChannelConfig } from '../config/types.js';
import { consoleChannel } from './console.js';
import { emailChannel } from './email.js';
import { logFileChannel } from './log-file.js';
import { pagerDutyChannel } from './pagerduty.js';
import { slackChannel } from './slack.js';
import type { ChannelPlugin, ChannelSend } from './types.js';
import { webhookChannel } from './webhook.js';

/** Every channel type, by its config's `type`: a new channel is one file and one line here. */
const CHANNELS: { readonly [T in ChannelConfig['type']]: ChannelPlugin<T> } = {
  console: consoleChannel,
  log: logFileChannel,
  slack: slackChannel,
  pagerduty: pagerDutyChannel,
  webhook: webhookChannel,
  email: emailChannel,
};

function pluginOf<T extends ChannelConfig['type']>(cfg: Extract<ChannelConfig, { type: T }>): ChannelPlugin<T> {
  return CHANNELS[cfg.type as T];
}

/** The channel a config describes, built by its plugin. */
export function createChannel(cfg: ChannelConfig): ChannelSend {
  return pluginOf(cfg).create(cfg);
}

/** The values in a channel's config that must never appear in a log line or an API answer. */
export function channelSecrets(cfg: ChannelConfig): readonly string[] {
  return pluginOf(cfg).secrets(cfg);
}
