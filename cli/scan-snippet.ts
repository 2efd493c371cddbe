// What `polegate scan modbus` prints for the units it found: manifest entries to paste, one bus per
// baud rate (a serial scan) and one device per unit, with a profile left for the engineer to name;
// and what `polegate scan onvif` prints for the cameras that answered.
import type { FoundUnit, ScanLink } from '../drivers/modbus/scan.js';
import type { DiscoveredCamera } from '../drivers/onvif/discovery.js';

/** Not a built-in profile name, so `polegate validate` stops the manifest until it is replaced. */
export const PLACEHOLDER_PROFILE = 'CHANGE-ME';

function busId(baudRate: number, several: boolean): string {
  return several ? `rs485-${baudRate}` : 'rs485-1';
}

export function scanSnippet(link: ScanLink, found: readonly FoundUnit[]): string {
  if (found.length === 0) return '# no Modbus unit answered\n';
  const lines = [`# ${found.length === 1 ? '1 unit' : `${found.length} units`} found; replace ${PLACEHOLDER_PROFILE} with a built-in profile name or a profile file, and the ids with names`];
  // The same unit id may answer at two baud rates: ids then carry the rate, to stay unique.
  const device = (unit: FoundUnit, where: string, withBaud = false) =>
    `  - { id: unit-${unit.unitId}${withBaud ? `-${unit.baudRate}` : ''}, driver: modbus, ${where}, unitId: ${unit.unitId}, profile: ${PLACEHOLDER_PROFILE} }   # ${unit.answer}`;
  if (link.kind === 'tcp') {
    lines.push('devices:', ...found.map((unit) => device(unit, `host: ${link.host}, port: ${link.port}`)));
    return `${lines.join('\n')}\n`;
  }
  const bauds = [...new Set(found.map((unit) => unit.baudRate!))];
  const several = bauds.length > 1;
  if (several) lines.push(`# units answered at ${bauds.length} baud rates: one serial port runs at one rate, so set the devices to one and keep one bus`);
  lines.push('buses:', ...bauds.map((baud) => `  - { id: ${busId(baud, several)}, port: ${link.path}, baudRate: ${baud}, parity: ${link.parity}, dataBits: ${link.dataBits}, stopBits: ${link.stopBits} }`));
  lines.push('devices:', ...found.map((unit) => device(unit, `bus: ${busId(unit.baudRate!, several)}`, several)));
  return `${lines.join('\n')}\n`;
}

/** A camera found by `scan onvif`, with what its device information said (or why it said nothing). */
export interface FoundCamera extends DiscoveredCamera {
  description?: string;
  problem?: string;
}

export function onvifSnippet(found: readonly FoundCamera[], username?: string): string {
  if (found.length === 0) return '# no ONVIF camera answered\n';
  const lines = [`# ${found.length === 1 ? '1 camera' : `${found.length} cameras`} found; name the ids, and give the password through \${CAM_PASSWORD} (never in the file)`, 'devices:'];
  found.forEach((camera, i) => {
    const url = new URL(camera.xaddrs[0]!);
    const port = url.port === '' ? 80 : Number(url.port);
    const note = camera.description ?? camera.problem ?? camera.hardware ?? camera.endpoint;
    lines.push(`  - { id: cam-${i + 1}, driver: onvif, host: ${url.hostname}, port: ${port}, username: ${username ?? 'admin'}, password: "\${CAM_PASSWORD}", events: [motion, tamper] }   # ${note}`);
  });
  return `${lines.join('\n')}\n`;
}
