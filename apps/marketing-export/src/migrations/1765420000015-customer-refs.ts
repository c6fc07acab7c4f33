import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * marketing-export names customers only by reference (`customer_ref`: the keyed blind index of the
 * number, as the events now carry it) and by the ads platforms' match key (`member_hash`). It holds
 * no keys, so numbers stored in clear before cannot become references here: they are removed —
 * consent states (a view of the consent topic) are dropped, and old export records and audience
 * members keep their member hash (removals still work by it) without a customer link. See
 * docs/data-lifecycle.md (upgrading).
 */
export class CustomerRefs1765420000015 implements MigrationInterface {
  name = 'CustomerRefs1765420000015';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['consent_states', 'export_records', 'audience_members']) {
      await q.query(`ALTER TABLE ${table} RENAME COLUMN wa_id TO customer_ref`);
    }
    // A reference is 43 base64url characters; anything of digits only is a number from before.
    await q.query(`DELETE FROM consent_states WHERE customer_ref ~ '^[0-9]+$'`);
    await q.query(`UPDATE export_records SET customer_ref = NULL WHERE customer_ref ~ '^[0-9]+$'`);
    await q.query(`UPDATE audience_members SET customer_ref = NULL WHERE customer_ref ~ '^[0-9]+$'`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['consent_states', 'export_records', 'audience_members']) {
      await q.query(`ALTER TABLE ${table} RENAME COLUMN customer_ref TO wa_id`);
    }
  }
}
