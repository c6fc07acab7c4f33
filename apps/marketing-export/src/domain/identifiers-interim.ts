// INTERIM copy until h4's identifiers.ts lands; deleted then. Same function names as h4's module.
import { createHash } from 'node:crypto';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function normalizePhone(phone: string): string {
  return phone.replace(/\D/g, '').replace(/^0+/, '');
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function hashPhone(phone: string): string {
  return sha256Hex(normalizePhone(phone));
}
