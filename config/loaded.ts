// What loading a manifest yields: the validated manifest plus everything resolved from it.
import type { Manifest, DeviceConfig } from './manifest-schema.js';
import type { Profile, SerialLineProfile } from './profile-schema.js';
import type { UnitTable } from './units.js';
import type { DriverRuntime } from '../drivers/sdk/types.js';

export interface LoadedDevice {
  config: DeviceConfig;
  factory: DriverRuntime<any>;
  /** Options to hand to `factory.create`: the device's keys, with references (e.g. a Modbus profile) resolved. */
  options: Record<string, unknown>;
  /** For Modbus devices: the resolved profile. */
  profile?: Profile;
  /** Units the device entry states in its own options (`unit:` keys), checked and in the unit table. */
  units?: string[];
  /** For serial-line devices: the resolved profile. */
  lineProfile?: SerialLineProfile;
}

export interface LoadedManifest {
  /** Absolute path of the manifest file. */
  file: string;
  manifest: Manifest;
  devices: LoadedDevice[];
  /** sha256 hex of the manifest text after ${VAR} interpolation, for birth.configHash. */
  configHash: string;
  /** The conversion of every unit the devices' profiles name, and of the common units, for the normalizer. */
  units: UnitTable;
}
