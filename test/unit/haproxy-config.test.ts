import { describe, expect, it } from 'vitest';
import { parseEndpoint } from '../../src/ingress/endpoint.js';
import {
  backendName,
  renderHaproxyConfig,
  renderHostMap,
  type IngressDesiredState,
} from '../../src/ingress/haproxy-config.js';
import { parseServersState, parseStat } from '../../src/ingress/runtime-parse.js';

const settings: IngressDesiredState['settings'] = {
  bind: { address: '127.0.0.1', port: 8080 },
  adminSocket: '/run/slipway/haproxy admin.sock',
  mapFile: '/run/slipway/hosts.map',
  retryAfterSeconds: 5,
  hardStopAfterSeconds: 60,
};

describe('HAProxy config generator', () => {
  const state: IngressDesiredState = {
    settings,
    apps: [
      { key: 'b-app', hostnames: ['b.example.com'], slots: 2, live: [] },
      {
        key: 'a-app',
        hostnames: ['www.a.example.com', 'a.example.com'],
        slots: 2,
        live: [{ ip: '172.17.0.2', port: 3000 }],
      },
    ],
  };

  it('writes master-worker, the admin socket that hands listeners over, and idle-close-on-response', () => {
    const config = renderHaproxyConfig(state);
    expect(config).toContain('  master-worker\n');
    expect(config).toContain(
      '  stats socket "/run/slipway/haproxy admin.sock" mode 600 level admin expose-fd listeners\n',
    );
    expect(config).toContain('  option idle-close-on-response\n');
    expect(config).toContain('  bind 127.0.0.1:8080\n');
  });

  it('routes by Host through the map, with a plain 404 for unknown hosts and a 503 with Retry-After', () => {
    const config = renderHaproxyConfig(state);
    expect(config).toContain('req.hdr(host),lower,word(1,:),map(/run/slipway/hosts.map)');
    expect(config).toMatch(
      /http-request return status 404 content-type "text\/plain; charset=utf-8"/,
    );
    expect(config).toMatch(/http-error status 503 .* hdr Retry-After 5 string /);
  });

  it('gives each app a backend with its slots: live ones ready, the rest disabled', () => {
    const config = renderHaproxyConfig(state);
    expect(config.indexOf('backend app_a-app')).toBeLessThan(config.indexOf('backend app_b-app'));
    expect(config).toContain('backend app_a-app\n  balance roundrobin\n');
    expect(config).toContain('  server s1 172.17.0.2:3000\n  server s2 127.0.0.1:1 disabled\n');
    expect(config).toContain(
      '  server s1 127.0.0.1:1 disabled\n  server s2 127.0.0.1:1 disabled\n',
    );
  });

  it('writes the host map sorted, so equal states give equal files', () => {
    expect(renderHostMap(state.apps)).toBe(
      'a.example.com app_a-app\nb.example.com app_b-app\nwww.a.example.com app_a-app\n',
    );
    expect(renderHostMap([...state.apps].reverse())).toBe(renderHostMap(state.apps));
  });

  it('refuses what would break the config or a runtime command', () => {
    expect(() => backendName('a b')).toThrow(/plain word/);
    expect(() =>
      renderHostMap([{ key: 'x', hostnames: ['Bad Host'], slots: 1, live: [] }]),
    ).toThrow(/lower-case/);
    const tooMany = {
      key: 'x',
      hostnames: [],
      slots: 1,
      live: [
        { ip: '127.0.0.1', port: 1 },
        { ip: '127.0.0.1', port: 2 },
      ],
    };
    expect(() => renderHaproxyConfig({ settings, apps: [tooMany] })).toThrow(/2 live endpoint/);
    expect(() =>
      renderHaproxyConfig({ settings: { ...settings, mapFile: '/tmp/a,b)' }, apps: [] }),
    ).toThrow(/plain path/);
    const badPort = { key: 'x', hostnames: [], slots: 1, live: [{ ip: '127.0.0.1', port: 70000 }] };
    expect(() => renderHaproxyConfig({ settings, apps: [badPort] })).toThrow(/port 1-65535/);
  });
});

describe('endpoints', () => {
  it('reads http://<ip>:<port> and refuses names, other schemes and paths', () => {
    expect(parseEndpoint('http://127.0.0.1:32768')).toEqual({ ip: '127.0.0.1', port: 32768 });
    expect(parseEndpoint('http://[::1]:8080')).toEqual({ ip: '::1', port: 8080 });
    for (const bad of [
      'http://localhost:80',
      'https://127.0.0.1:1',
      'http://127.0.0.1',
      'http://127.0.0.1:1/x',
      'nope',
    ]) {
      expect(() => parseEndpoint(bad), bad).toThrow(/endpoint/);
    }
  });
});

describe('runtime API table parsers', () => {
  it('reads "show servers state" (HAProxy 2.6 sample) with each slot\'s admin state', () => {
    const answer = [
      '1',
      '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port',
      '3 app_x 1 s1 127.0.0.1 2 4 1 1 0 1 0 0 8 0 0 0 - 9999 - 0 0 - - 0',
      '3 app_x 2 s2 127.0.0.1 0 5 1 1 1 1 0 0 8 0 0 0 - 1 - 0 0 - - 0',
      '3 app_x 3 s3 127.0.0.1 2 8 1 1 1 1 0 0 8 0 0 0 - 4000 - 0 0 - - 0',
      '',
    ].join('\n');
    expect(parseServersState(answer, 'show')).toEqual([
      { backend: 'app_x', server: 's1', ip: '127.0.0.1', port: 9999, admin: 'ready' },
      { backend: 'app_x', server: 's2', ip: '127.0.0.1', port: 1, admin: 'maint' },
      { backend: 'app_x', server: 's3', ip: '127.0.0.1', port: 4000, admin: 'drain' },
    ]);
    expect(() => parseServersState("Can't find backend.\n", 'show servers state x')).toThrow(
      /refused "show servers state x": Can't find backend/,
    );
  });

  it('reads scur from "show stat"', () => {
    const answer =
      '# pxname,svname,qcur,qmax,scur,smax,status\napp_x,s1,0,0,7,9,UP\napp_x,BACKEND,0,0,7,9,UP\n';
    expect(parseStat(answer)).toEqual([
      { proxy: 'app_x', server: 's1', currentSessions: 7, status: 'UP' },
      { proxy: 'app_x', server: 'BACKEND', currentSessions: 7, status: 'UP' },
    ]);
    expect(() => parseStat('Permission denied\n')).toThrow(/refused "show stat"/);
  });
});
