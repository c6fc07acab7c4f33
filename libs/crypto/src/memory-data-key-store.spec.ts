import { MemoryDataKeyStore } from './memory-data-key-store';
import { dataKeyStoreContract } from './testing/data-key-store.contract';

describe('MemoryDataKeyStore', () => {
  dataKeyStoreContract(() => new MemoryDataKeyStore());
});
