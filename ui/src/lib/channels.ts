// The channels an agent can pick from (views, filters, rules, settings), in the order shown.
import type { Channel } from './generated/Channel';

export const CHANNELS: Channel[] = ['messenger', 'instagram', 'whatsapp', 'sms', 'telegram', 'x', 'email', 'facebook'];
