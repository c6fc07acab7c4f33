#!/usr/bin/env node
import { activateMasterKey, addMasterKey, createMasterKeyFile, removeMasterKey } from './master-key-file';

const USAGE = `usage: custody-master-key <command> <file> [options]
  create <file> [--id ID]              a new key file with one active master key (mode 0600)
  add <file> [--id ID] [--activate]    add a master key (standby unless --activate)
  activate <file> <ID>                 make ID the active master key (first in the file)
  remove <file> <ID>                   drop a retired master key (after rewrapAll left nothing under it)
Prints key ids only, never key material.`;

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

function main(args: string[]): void {
  const [command, path, third] = args;
  if (!command || !path) {
    console.error(USAGE);
    process.exit(2);
  }
  let ids: string[];
  switch (command) {
    case 'create':
      ids = createMasterKeyFile(path, option(args, '--id'));
      break;
    case 'add':
      ids = addMasterKey(path, { id: option(args, '--id'), activate: args.includes('--activate') });
      break;
    case 'activate':
    case 'remove':
      if (!third) {
        console.error(USAGE);
        process.exit(2);
      }
      ids = command === 'activate' ? activateMasterKey(path, third) : removeMasterKey(path, third);
      break;
    default:
      console.error(USAGE);
      process.exit(2);
  }
  console.log(`${path}: ${ids.map((id, i) => (i === 0 ? `${id} (active)` : id)).join(', ')}`);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  console.error(`custody-master-key: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
