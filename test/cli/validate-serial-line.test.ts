// `polegate validate` on serial-line profiles (a file of its own: each run is a CLI process).
import t from 'tap';
import { polegate } from '../helpers/polegate-cli.js';

t.test('serial-line profiles: valid ones summarised, a broken pattern located', async (t) => {
  const radar = await polegate(['validate', 'drivers/profiles/serial-line/radar-level.yaml']);
  t.equal(radar.code, 0, radar.stderr);
  t.equal(radar.stdout, 'drivers/profiles/serial-line/radar-level.yaml: valid device profile (serial-line radar-level, 3 metrics, polled)\n');
  const weather = await polegate(['validate', 'drivers/profiles/serial-line/weather-station.yaml', '--explain']);
  t.equal(weather.stdout, 'drivers/profiles/serial-line/weather-station.yaml: valid device profile (serial-line weather-station, 6 metrics, streaming)\n');
  const bad = await polegate(['validate', 'test/cases/config/serial-line-invalid/bad-pattern.yaml']);
  t.equal(bad.code, 2);
  t.match(bad.stdout, 'test/cases/config/serial-line-invalid/bad-pattern.yaml:4:7: line: is not a valid regular expression');
});
