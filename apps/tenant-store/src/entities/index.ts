import { ClientCredentialEntity } from './client-credential.entity';
import { PhoneNumberEntity } from './phone-number.entity';
import { TenantEntity } from './tenant.entity';

export { ClientCredentialEntity, PhoneNumberEntity, TenantEntity };
export const ENTITIES = [TenantEntity, PhoneNumberEntity, ClientCredentialEntity];
