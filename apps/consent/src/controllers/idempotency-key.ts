import { HttpStatus } from '@nestjs/common';
import { DomainError } from '@custody/platform';

const KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/** The `Idempotency-Key` header, checked: a request repeated with the same key appends once. */
export function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  if (!KEY.test(header)) {
    throw new DomainError(HttpStatus.BAD_REQUEST, 'validation_failed', 'Request validation failed', [
      'Idempotency-Key must be 1-200 characters of A-Z a-z 0-9 . _ : -',
    ]);
  }
  return header;
}
