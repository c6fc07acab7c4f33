import { Injectable } from '@nestjs/common';

/** A witness the log submits its checkpoints to: its cosigning verifier key and its submission URL. */
export interface WitnessConfig {
  /** C2SP verifier key of the witness's cosignature/v1 key (`<name>+<id>+<base64(0x04 ‖ key)>`). */
  verifierKey: string;
  /** The witness's submission prefix; requests go to `<url>/add-checkpoint`. */
  url: string;
}

export type AddCheckpointResult =
  | { status: 'cosigned'; body: string }
  /** The witness holds another size for this log (HTTP 409): retry with a proof from it. */
  | { status: 'conflict'; size: number }
  | { status: 'refused'; httpStatus: number; body: string };

const TIMEOUT_MS = 5000;

/** HTTP to witnesses: the C2SP tlog-witness `add-checkpoint` call. */
@Injectable()
export class WitnessRepository {
  async addCheckpoint(
    witness: WitnessConfig,
    oldSize: number,
    proof: Buffer[],
    checkpointNote: string,
  ): Promise<AddCheckpointResult> {
    const body = `old ${oldSize}\n${proof.map((h) => `${h.toString('base64')}\n`).join('')}\n${checkpointNote}`;
    const res = await fetch(`${witness.url.replace(/\/+$/, '')}/add-checkpoint`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status === 200) {
      return { status: 'cosigned', body: text };
    }
    if (res.status === 409 && /^(0|[1-9][0-9]*)\n$/.test(text)) {
      return { status: 'conflict', size: Number(text.trim()) };
    }
    return { status: 'refused', httpStatus: res.status, body: text.slice(0, 500) };
  }
}
