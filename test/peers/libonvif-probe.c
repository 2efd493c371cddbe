/* An independent ONVIF client for the simulator test: libonvif (Debian's libonvif-dev) reads a
 * camera's capabilities, clock offset, device information and first profile token, and prints them
 * one per line. Usage: libonvif-probe DEVICE_SERVICE_URL USER PASSWORD */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <onvif.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s DEVICE_SERVICE_URL USER PASSWORD\n", argv[0]);
        return 2;
    }
    struct OnvifData *data = calloc(1, sizeof(struct OnvifData));
    strncpy(data->xaddrs, argv[1], sizeof(data->xaddrs) - 1);
    strncpy(data->device_service, argv[1], sizeof(data->device_service) - 1);
    /* libonvif keeps a service as the start of its HTTP request ("POST /path HTTP/1.1"). */
    extractOnvifService(data->device_service, true);
    strncpy(data->username, argv[2], sizeof(data->username) - 1);
    strncpy(data->password, argv[3], sizeof(data->password) - 1);
    if (getTimeOffset(data)) { printf("error: time offset: %s\n", data->last_error); return 1; }
    printf("time_offset: %ld\n", (long)data->time_offset);
    if (getCapabilities(data)) { printf("error: capabilities: %s\n", data->last_error); return 1; }
    printf("media_service: %s\n", data->media_service);
    printf("event_service: %s\n", data->event_service);
    if (getDeviceInformation(data)) { printf("error: device information: %s\n", data->last_error); return 1; }
    printf("camera_name: %s\n", data->camera_name);
    printf("serial_number: %s\n", data->serial_number);
    if (getFirstProfileToken(data)) { printf("error: profile token: %s\n", data->last_error); return 1; }
    printf("profile_token: %s\n", data->profileToken);
    return 0;
}
