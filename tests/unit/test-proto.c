/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guards the wire compatibility of the .proto files in proto/ with Kata's agent protocol.
 *
 * The tables below are facts taken from Kata's own .proto files (kata-containers commit
 * 7c6ba40c54ea29b459b4997cff948caaba4e658b, src/libs/protocols/protos/): every message with its
 * field count, every field (name, number, type, referenced type, repeated, oneof member), every
 * enum value, and the rpcs of grpc.AgentService and grpc.Health in order. They are checked against
 * the descriptors protoc-c generated from our own .proto files, so a renumbered, retyped, renamed
 * or dropped field, or a reordered rpc, fails here. See docs/protocol.md.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "agent.pb-c.h"
#include "csi.pb-c.h"
#include "health.pb-c.h"
#include "oci.pb-c.h"
#include "ttrpc.pb-c.h"
#include "types.pb-c.h"

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

struct message_fact {
        const char *name;
        unsigned n_fields;
};

struct field_fact {
        const char *message;
        const char *field;
        uint32_t number;
        ProtobufCType type;
        const char *type_name; /* full name of the message or enum type, else NULL */
        bool repeated;
        bool oneof; /* in a oneof: Kata's real oneof, or the synthetic one of a proto3 optional */
};

struct enum_fact {
        const char *enum_name;
        const char *value;
        int number;
};

struct method_fact {
        const char *name;
        const char *input;
        const char *output;
};

/* --- Generated from Kata's .proto files (facts only); keep in Kata's declaration order. --- */

static const ProtobufCMessageDescriptor *const all_messages[] = {
        &grpc__spec__descriptor,
        &grpc__spec__annotations_entry__descriptor,
        &grpc__process__descriptor,
        &grpc__box__descriptor,
        &grpc__user__descriptor,
        &grpc__linux_capabilities__descriptor,
        &grpc__posixrlimit__descriptor,
        &grpc__mount__descriptor,
        &grpc__root__descriptor,
        &grpc__hooks__descriptor,
        &grpc__hook__descriptor,
        &grpc__linux__descriptor,
        &grpc__linux__sysctl_entry__descriptor,
        &grpc__windows__descriptor,
        &grpc__solaris__descriptor,
        &grpc__linux_idmapping__descriptor,
        &grpc__linux_namespace__descriptor,
        &grpc__linux_device__descriptor,
        &grpc__linux_resources__descriptor,
        &grpc__linux_memory__descriptor,
        &grpc__linux_cpu__descriptor,
        &grpc__linux_weight_device__descriptor,
        &grpc__linux_throttle_device__descriptor,
        &grpc__linux_block_io__descriptor,
        &grpc__linux_pids__descriptor,
        &grpc__linux_device_cgroup__descriptor,
        &grpc__linux_network__descriptor,
        &grpc__linux_hugepage_limit__descriptor,
        &grpc__linux_interface_priority__descriptor,
        &grpc__linux_seccomp__descriptor,
        &grpc__linux_seccomp_arg__descriptor,
        &grpc__linux_syscall__descriptor,
        &grpc__linux_intel_rdt__descriptor,
        &grpc__volume_stats_response__descriptor,
        &grpc__volume_usage__descriptor,
        &grpc__volume_condition__descriptor,
        &types__ipaddress__descriptor,
        &types__interface__descriptor,
        &types__route__descriptor,
        &types__arpneighbor__descriptor,
        &grpc__create_container_request__descriptor,
        &grpc__start_container_request__descriptor,
        &grpc__remove_container_request__descriptor,
        &grpc__exec_process_request__descriptor,
        &grpc__signal_process_request__descriptor,
        &grpc__wait_process_request__descriptor,
        &grpc__wait_process_response__descriptor,
        &grpc__update_container_request__descriptor,
        &grpc__stats_container_request__descriptor,
        &grpc__pause_container_request__descriptor,
        &grpc__resume_container_request__descriptor,
        &grpc__cpu_usage__descriptor,
        &grpc__throttling_data__descriptor,
        &grpc__cpu_stats__descriptor,
        &grpc__pids_stats__descriptor,
        &grpc__memory_data__descriptor,
        &grpc__memory_stats__descriptor,
        &grpc__memory_stats__stats_entry__descriptor,
        &grpc__blkio_stats_entry__descriptor,
        &grpc__blkio_stats__descriptor,
        &grpc__hugetlb_stats__descriptor,
        &grpc__cgroup_stats__descriptor,
        &grpc__cgroup_stats__hugetlb_stats_entry__descriptor,
        &grpc__network_stats__descriptor,
        &grpc__stats_container_response__descriptor,
        &grpc__write_stream_request__descriptor,
        &grpc__write_stream_response__descriptor,
        &grpc__read_stream_request__descriptor,
        &grpc__read_stream_response__descriptor,
        &grpc__close_stdin_request__descriptor,
        &grpc__tty_win_resize_request__descriptor,
        &grpc__kernel_module__descriptor,
        &grpc__create_sandbox_request__descriptor,
        &grpc__destroy_sandbox_request__descriptor,
        &grpc__remove_stale_virtiofs_share_mounts_request__descriptor,
        &grpc__interfaces__descriptor,
        &grpc__routes__descriptor,
        &grpc__update_interface_request__descriptor,
        &grpc__update_routes_request__descriptor,
        &grpc__update_ephemeral_mounts_request__descriptor,
        &grpc__list_interfaces_request__descriptor,
        &grpc__list_routes_request__descriptor,
        &grpc__arpneighbors__descriptor,
        &grpc__add_arpneighbors_request__descriptor,
        &grpc__get_iptables_request__descriptor,
        &grpc__get_iptables_response__descriptor,
        &grpc__set_iptables_request__descriptor,
        &grpc__set_iptables_response__descriptor,
        &grpc__online_cpumem_request__descriptor,
        &grpc__reseed_random_dev_request__descriptor,
        &grpc__agent_details__descriptor,
        &grpc__guest_details_request__descriptor,
        &grpc__guest_details_response__descriptor,
        &grpc__mem_hotplug_by_probe_request__descriptor,
        &grpc__set_guest_date_time_request__descriptor,
        &grpc__fsgroup__descriptor,
        &grpc__shared_mount__descriptor,
        &grpc__storage__descriptor,
        &grpc__device__descriptor,
        &grpc__string_user__descriptor,
        &grpc__copy_file_request__descriptor,
        &grpc__get_oomevent_request__descriptor,
        &grpc__oomevent__descriptor,
        &grpc__add_swap_request__descriptor,
        &grpc__add_swap_path_request__descriptor,
        &grpc__get_metrics_request__descriptor,
        &grpc__metrics__descriptor,
        &grpc__volume_stats_request__descriptor,
        &grpc__resize_volume_request__descriptor,
        &grpc__set_policy_request__descriptor,
        &grpc__get_diagnostic_data_request__descriptor,
        &grpc__get_diagnostic_data_response__descriptor,
        &grpc__mem_agent_memcg_config__descriptor,
        &grpc__mem_agent_compact_config__descriptor,
        &grpc__check_request__descriptor,
        &grpc__health_check_response__descriptor,
        &grpc__version_check_response__descriptor,
};

static const ProtobufCEnumDescriptor *const all_enums[] = {
        &grpc__volume_usage__unit__descriptor,
        &types__ipfamily__descriptor,
        &types__fsgroup_change_policy__descriptor,
        &grpc__health_check_response__serving_status__descriptor,
};

static const struct message_fact kata_messages[] = {
        { "grpc.Spec", 10 },
        { "grpc.Spec.AnnotationsEntry", 2 },
        { "grpc.Process", 12 },
        { "grpc.Box", 2 },
        { "grpc.User", 4 },
        { "grpc.LinuxCapabilities", 5 },
        { "grpc.POSIXRlimit", 3 },
        { "grpc.Mount", 4 },
        { "grpc.Root", 2 },
        { "grpc.Hooks", 6 },
        { "grpc.Hook", 4 },
        { "grpc.Linux", 13 },
        { "grpc.Linux.SysctlEntry", 2 },
        { "grpc.Windows", 1 },
        { "grpc.Solaris", 1 },
        { "grpc.LinuxIDMapping", 3 },
        { "grpc.LinuxNamespace", 2 },
        { "grpc.LinuxDevice", 7 },
        { "grpc.LinuxResources", 7 },
        { "grpc.LinuxMemory", 7 },
        { "grpc.LinuxCPU", 7 },
        { "grpc.LinuxWeightDevice", 4 },
        { "grpc.LinuxThrottleDevice", 3 },
        { "grpc.LinuxBlockIO", 7 },
        { "grpc.LinuxPids", 1 },
        { "grpc.LinuxDeviceCgroup", 5 },
        { "grpc.LinuxNetwork", 2 },
        { "grpc.LinuxHugepageLimit", 2 },
        { "grpc.LinuxInterfacePriority", 2 },
        { "grpc.LinuxSeccomp", 4 },
        { "grpc.LinuxSeccompArg", 4 },
        { "grpc.LinuxSyscall", 4 },
        { "grpc.LinuxIntelRdt", 1 },
        { "grpc.VolumeStatsResponse", 2 },
        { "grpc.VolumeUsage", 4 },
        { "grpc.VolumeCondition", 2 },
        { "types.IPAddress", 3 },
        { "types.Interface", 8 },
        { "types.Route", 8 },
        { "types.ARPNeighbor", 5 },
        { "grpc.CreateContainerRequest", 11 },
        { "grpc.StartContainerRequest", 1 },
        { "grpc.RemoveContainerRequest", 2 },
        { "grpc.ExecProcessRequest", 7 },
        { "grpc.SignalProcessRequest", 3 },
        { "grpc.WaitProcessRequest", 2 },
        { "grpc.WaitProcessResponse", 1 },
        { "grpc.UpdateContainerRequest", 2 },
        { "grpc.StatsContainerRequest", 1 },
        { "grpc.PauseContainerRequest", 1 },
        { "grpc.ResumeContainerRequest", 1 },
        { "grpc.CpuUsage", 4 },
        { "grpc.ThrottlingData", 3 },
        { "grpc.CpuStats", 2 },
        { "grpc.PidsStats", 2 },
        { "grpc.MemoryData", 4 },
        { "grpc.MemoryStats", 6 },
        { "grpc.MemoryStats.StatsEntry", 2 },
        { "grpc.BlkioStatsEntry", 4 },
        { "grpc.BlkioStats", 8 },
        { "grpc.HugetlbStats", 3 },
        { "grpc.CgroupStats", 5 },
        { "grpc.CgroupStats.HugetlbStatsEntry", 2 },
        { "grpc.NetworkStats", 9 },
        { "grpc.StatsContainerResponse", 2 },
        { "grpc.WriteStreamRequest", 3 },
        { "grpc.WriteStreamResponse", 1 },
        { "grpc.ReadStreamRequest", 3 },
        { "grpc.ReadStreamResponse", 1 },
        { "grpc.CloseStdinRequest", 2 },
        { "grpc.TtyWinResizeRequest", 4 },
        { "grpc.KernelModule", 2 },
        { "grpc.CreateSandboxRequest", 7 },
        { "grpc.DestroySandboxRequest", 0 },
        { "grpc.RemoveStaleVirtiofsShareMountsRequest", 0 },
        { "grpc.Interfaces", 1 },
        { "grpc.Routes", 1 },
        { "grpc.UpdateInterfaceRequest", 1 },
        { "grpc.UpdateRoutesRequest", 1 },
        { "grpc.UpdateEphemeralMountsRequest", 1 },
        { "grpc.ListInterfacesRequest", 0 },
        { "grpc.ListRoutesRequest", 0 },
        { "grpc.ARPNeighbors", 1 },
        { "grpc.AddARPNeighborsRequest", 1 },
        { "grpc.GetIPTablesRequest", 1 },
        { "grpc.GetIPTablesResponse", 1 },
        { "grpc.SetIPTablesRequest", 2 },
        { "grpc.SetIPTablesResponse", 1 },
        { "grpc.OnlineCPUMemRequest", 3 },
        { "grpc.ReseedRandomDevRequest", 1 },
        { "grpc.AgentDetails", 6 },
        { "grpc.GuestDetailsRequest", 2 },
        { "grpc.GuestDetailsResponse", 3 },
        { "grpc.MemHotplugByProbeRequest", 1 },
        { "grpc.SetGuestDateTimeRequest", 2 },
        { "grpc.FSGroup", 2 },
        { "grpc.SharedMount", 5 },
        { "grpc.Storage", 8 },
        { "grpc.Device", 5 },
        { "grpc.StringUser", 3 },
        { "grpc.CopyFileRequest", 8 },
        { "grpc.GetOOMEventRequest", 0 },
        { "grpc.OOMEvent", 1 },
        { "grpc.AddSwapRequest", 1 },
        { "grpc.AddSwapPathRequest", 1 },
        { "grpc.GetMetricsRequest", 0 },
        { "grpc.Metrics", 1 },
        { "grpc.VolumeStatsRequest", 1 },
        { "grpc.ResizeVolumeRequest", 2 },
        { "grpc.SetPolicyRequest", 1 },
        { "grpc.GetDiagnosticDataRequest", 2 },
        { "grpc.GetDiagnosticDataResponse", 1 },
        { "grpc.MemAgentMemcgConfig", 7 },
        { "grpc.MemAgentCompactConfig", 8 },
        { "grpc.CheckRequest", 1 },
        { "grpc.HealthCheckResponse", 1 },
        { "grpc.VersionCheckResponse", 2 },
};

static const struct field_fact kata_fields[] = {
        { "grpc.Spec", "Version", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Spec", "Process", 2, PROTOBUF_C_TYPE_MESSAGE, "grpc.Process", false, false },
        { "grpc.Spec", "Root", 3, PROTOBUF_C_TYPE_MESSAGE, "grpc.Root", false, false },
        { "grpc.Spec", "Hostname", 4, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Spec", "Mounts", 5, PROTOBUF_C_TYPE_MESSAGE, "grpc.Mount", true, false },
        { "grpc.Spec", "Hooks", 6, PROTOBUF_C_TYPE_MESSAGE, "grpc.Hooks", false, false },
        { "grpc.Spec", "Annotations", 7, PROTOBUF_C_TYPE_MESSAGE, "grpc.Spec.AnnotationsEntry",
          true, false },
        { "grpc.Spec", "Linux", 8, PROTOBUF_C_TYPE_MESSAGE, "grpc.Linux", false, false },
        { "grpc.Spec", "Solaris", 9, PROTOBUF_C_TYPE_MESSAGE, "grpc.Solaris", false, false },
        { "grpc.Spec", "Windows", 10, PROTOBUF_C_TYPE_MESSAGE, "grpc.Windows", false, false },
        { "grpc.Spec.AnnotationsEntry", "key", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Spec.AnnotationsEntry", "value", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Process", "Terminal", 1, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.Process", "ConsoleSize", 2, PROTOBUF_C_TYPE_MESSAGE, "grpc.Box", false, false },
        { "grpc.Process", "User", 3, PROTOBUF_C_TYPE_MESSAGE, "grpc.User", false, false },
        { "grpc.Process", "Args", 4, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.Process", "Env", 5, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.Process", "Cwd", 6, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Process", "Capabilities", 7, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxCapabilities",
          false, false },
        { "grpc.Process", "Rlimits", 8, PROTOBUF_C_TYPE_MESSAGE, "grpc.POSIXRlimit", true, false },
        { "grpc.Process", "NoNewPrivileges", 9, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.Process", "ApparmorProfile", 10, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Process", "OOMScoreAdj", 11, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.Process", "SelinuxLabel", 12, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Box", "Height", 1, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.Box", "Width", 2, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.User", "UID", 1, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.User", "GID", 2, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.User", "AdditionalGids", 3, PROTOBUF_C_TYPE_UINT32, NULL, true, false },
        { "grpc.User", "Username", 4, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxCapabilities", "Bounding", 1, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.LinuxCapabilities", "Effective", 2, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.LinuxCapabilities", "Inheritable", 3, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.LinuxCapabilities", "Permitted", 4, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.LinuxCapabilities", "Ambient", 5, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.POSIXRlimit", "Type", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.POSIXRlimit", "Hard", 2, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.POSIXRlimit", "Soft", 3, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.Mount", "destination", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Mount", "source", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Mount", "type", 3, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Mount", "options", 4, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.Root", "Path", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Root", "Readonly", 2, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.Hooks", "Prestart", 1, PROTOBUF_C_TYPE_MESSAGE, "grpc.Hook", true, false },
        { "grpc.Hooks", "Poststart", 2, PROTOBUF_C_TYPE_MESSAGE, "grpc.Hook", true, false },
        { "grpc.Hooks", "Poststop", 3, PROTOBUF_C_TYPE_MESSAGE, "grpc.Hook", true, false },
        { "grpc.Hooks", "CreateRuntime", 4, PROTOBUF_C_TYPE_MESSAGE, "grpc.Hook", true, false },
        { "grpc.Hooks", "CreateContainer", 5, PROTOBUF_C_TYPE_MESSAGE, "grpc.Hook", true, false },
        { "grpc.Hooks", "StartContainer", 6, PROTOBUF_C_TYPE_MESSAGE, "grpc.Hook", true, false },
        { "grpc.Hook", "Path", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Hook", "Args", 2, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.Hook", "Env", 3, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.Hook", "Timeout", 4, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.Linux", "UIDMappings", 1, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxIDMapping", true,
          false },
        { "grpc.Linux", "GIDMappings", 2, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxIDMapping", true,
          false },
        { "grpc.Linux", "Sysctl", 3, PROTOBUF_C_TYPE_MESSAGE, "grpc.Linux.SysctlEntry", true,
          false },
        { "grpc.Linux", "Resources", 4, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxResources", false,
          false },
        { "grpc.Linux", "CgroupsPath", 5, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Linux", "Namespaces", 6, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxNamespace", true,
          false },
        { "grpc.Linux", "Devices", 7, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxDevice", true, false },
        { "grpc.Linux", "Seccomp", 8, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxSeccomp", false, false },
        { "grpc.Linux", "RootfsPropagation", 9, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Linux", "MaskedPaths", 10, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.Linux", "ReadonlyPaths", 11, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.Linux", "MountLabel", 12, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Linux", "IntelRdt", 13, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxIntelRdt", false,
          false },
        { "grpc.Linux.SysctlEntry", "key", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Linux.SysctlEntry", "value", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Windows", "dummy", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Solaris", "dummy", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxIDMapping", "HostID", 1, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.LinuxIDMapping", "ContainerID", 2, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.LinuxIDMapping", "Size", 3, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.LinuxNamespace", "Type", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxNamespace", "Path", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxDevice", "Path", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxDevice", "Type", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxDevice", "Major", 3, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxDevice", "Minor", 4, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxDevice", "FileMode", 5, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.LinuxDevice", "UID", 6, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.LinuxDevice", "GID", 7, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.LinuxResources", "Devices", 1, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxDeviceCgroup",
          true, false },
        { "grpc.LinuxResources", "Memory", 2, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxMemory", false,
          false },
        { "grpc.LinuxResources", "CPU", 3, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxCPU", false, false },
        { "grpc.LinuxResources", "Pids", 4, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxPids", false,
          false },
        { "grpc.LinuxResources", "BlockIO", 5, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxBlockIO", false,
          false },
        { "grpc.LinuxResources", "HugepageLimits", 6, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.LinuxHugepageLimit", true, false },
        { "grpc.LinuxResources", "Network", 7, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxNetwork", false,
          false },
        { "grpc.LinuxMemory", "Limit", 1, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxMemory", "Reservation", 2, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxMemory", "Swap", 3, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxMemory", "Kernel", 4, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxMemory", "KernelTCP", 5, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxMemory", "Swappiness", 6, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.LinuxMemory", "DisableOOMKiller", 7, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.LinuxCPU", "Shares", 1, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.LinuxCPU", "Quota", 2, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxCPU", "Period", 3, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.LinuxCPU", "RealtimeRuntime", 4, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxCPU", "RealtimePeriod", 5, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.LinuxCPU", "Cpus", 6, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxCPU", "Mems", 7, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxWeightDevice", "Major", 1, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxWeightDevice", "Minor", 2, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxWeightDevice", "Weight", 3, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.LinuxWeightDevice", "LeafWeight", 4, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.LinuxThrottleDevice", "Major", 1, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxThrottleDevice", "Minor", 2, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxThrottleDevice", "Rate", 3, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.LinuxBlockIO", "Weight", 1, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.LinuxBlockIO", "LeafWeight", 2, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.LinuxBlockIO", "WeightDevice", 3, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxWeightDevice",
          true, false },
        { "grpc.LinuxBlockIO", "ThrottleReadBpsDevice", 4, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.LinuxThrottleDevice", true, false },
        { "grpc.LinuxBlockIO", "ThrottleWriteBpsDevice", 5, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.LinuxThrottleDevice", true, false },
        { "grpc.LinuxBlockIO", "ThrottleReadIOPSDevice", 6, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.LinuxThrottleDevice", true, false },
        { "grpc.LinuxBlockIO", "ThrottleWriteIOPSDevice", 7, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.LinuxThrottleDevice", true, false },
        { "grpc.LinuxPids", "Limit", 1, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxDeviceCgroup", "Allow", 1, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.LinuxDeviceCgroup", "Type", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxDeviceCgroup", "Major", 3, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxDeviceCgroup", "Minor", 4, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.LinuxDeviceCgroup", "Access", 5, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxNetwork", "ClassID", 1, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.LinuxNetwork", "Priorities", 2, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.LinuxInterfacePriority", true, false },
        { "grpc.LinuxHugepageLimit", "Pagesize", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxHugepageLimit", "Limit", 2, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.LinuxInterfacePriority", "Name", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxInterfacePriority", "Priority", 2, PROTOBUF_C_TYPE_UINT32, NULL, false,
          false },
        { "grpc.LinuxSeccomp", "DefaultAction", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxSeccomp", "Architectures", 2, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.LinuxSeccomp", "Flags", 3, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.LinuxSeccomp", "Syscalls", 4, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxSyscall", true,
          false },
        { "grpc.LinuxSeccompArg", "Index", 1, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.LinuxSeccompArg", "Value", 2, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.LinuxSeccompArg", "ValueTwo", 3, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.LinuxSeccompArg", "Op", 4, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxSyscall", "Names", 1, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.LinuxSyscall", "Action", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.LinuxSyscall", "errnoret", 3, PROTOBUF_C_TYPE_UINT32, NULL, false, true },
        { "grpc.LinuxSyscall", "Args", 4, PROTOBUF_C_TYPE_MESSAGE, "grpc.LinuxSeccompArg", true,
          false },
        { "grpc.LinuxIntelRdt", "L3CacheSchema", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.VolumeStatsResponse", "usage", 1, PROTOBUF_C_TYPE_MESSAGE, "grpc.VolumeUsage", true,
          false },
        { "grpc.VolumeStatsResponse", "volume_condition", 2, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.VolumeCondition", false, false },
        { "grpc.VolumeUsage", "available", 1, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.VolumeUsage", "total", 2, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.VolumeUsage", "used", 3, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.VolumeUsage", "unit", 4, PROTOBUF_C_TYPE_ENUM, "grpc.VolumeUsage.Unit", false,
          false },
        { "grpc.VolumeCondition", "abnormal", 1, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.VolumeCondition", "message", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.IPAddress", "family", 1, PROTOBUF_C_TYPE_ENUM, "types.IPFamily", false, false },
        { "types.IPAddress", "address", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.IPAddress", "mask", 3, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.Interface", "device", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.Interface", "name", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.Interface", "IPAddresses", 3, PROTOBUF_C_TYPE_MESSAGE, "types.IPAddress", true,
          false },
        { "types.Interface", "mtu", 4, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "types.Interface", "hwAddr", 5, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.Interface", "devicePath", 6, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.Interface", "type", 7, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.Interface", "raw_flags", 8, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "types.Route", "dest", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.Route", "gateway", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.Route", "device", 3, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.Route", "source", 4, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.Route", "scope", 5, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "types.Route", "family", 6, PROTOBUF_C_TYPE_ENUM, "types.IPFamily", false, false },
        { "types.Route", "flags", 7, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "types.Route", "mtu", 8, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "types.ARPNeighbor", "toIPAddress", 1, PROTOBUF_C_TYPE_MESSAGE, "types.IPAddress", false,
          false },
        { "types.ARPNeighbor", "device", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.ARPNeighbor", "lladdr", 3, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "types.ARPNeighbor", "state", 4, PROTOBUF_C_TYPE_INT32, NULL, false, false },
        { "types.ARPNeighbor", "flags", 5, PROTOBUF_C_TYPE_INT32, NULL, false, false },
        { "grpc.CreateContainerRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.CreateContainerRequest", "exec_id", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.CreateContainerRequest", "string_user", 3, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.StringUser", false, false },
        { "grpc.CreateContainerRequest", "devices", 4, PROTOBUF_C_TYPE_MESSAGE, "grpc.Device", true,
          false },
        { "grpc.CreateContainerRequest", "storages", 5, PROTOBUF_C_TYPE_MESSAGE, "grpc.Storage",
          true, false },
        { "grpc.CreateContainerRequest", "OCI", 6, PROTOBUF_C_TYPE_MESSAGE, "grpc.Spec", false,
          false },
        { "grpc.CreateContainerRequest", "sandbox_pidns", 7, PROTOBUF_C_TYPE_BOOL, NULL, false,
          false },
        { "grpc.CreateContainerRequest", "shared_mounts", 8, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.SharedMount", true, false },
        { "grpc.CreateContainerRequest", "stdin_port", 9, PROTOBUF_C_TYPE_UINT32, NULL, false,
          false },
        { "grpc.CreateContainerRequest", "stdout_port", 10, PROTOBUF_C_TYPE_UINT32, NULL, false,
          false },
        { "grpc.CreateContainerRequest", "stderr_port", 11, PROTOBUF_C_TYPE_UINT32, NULL, false,
          false },
        { "grpc.StartContainerRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.RemoveContainerRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.RemoveContainerRequest", "timeout", 2, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.ExecProcessRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.ExecProcessRequest", "exec_id", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.ExecProcessRequest", "string_user", 3, PROTOBUF_C_TYPE_MESSAGE, "grpc.StringUser",
          false, false },
        { "grpc.ExecProcessRequest", "process", 4, PROTOBUF_C_TYPE_MESSAGE, "grpc.Process", false,
          false },
        { "grpc.ExecProcessRequest", "stdin_port", 5, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.ExecProcessRequest", "stdout_port", 6, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.ExecProcessRequest", "stderr_port", 7, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.SignalProcessRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.SignalProcessRequest", "exec_id", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.SignalProcessRequest", "signal", 3, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.WaitProcessRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.WaitProcessRequest", "exec_id", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.WaitProcessResponse", "status", 1, PROTOBUF_C_TYPE_INT32, NULL, false, false },
        { "grpc.UpdateContainerRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.UpdateContainerRequest", "resources", 2, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.LinuxResources", false, false },
        { "grpc.StatsContainerRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.PauseContainerRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.ResumeContainerRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.CpuUsage", "total_usage", 1, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.CpuUsage", "percpu_usage", 2, PROTOBUF_C_TYPE_UINT64, NULL, true, false },
        { "grpc.CpuUsage", "usage_in_kernelmode", 3, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.CpuUsage", "usage_in_usermode", 4, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.ThrottlingData", "periods", 1, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.ThrottlingData", "throttled_periods", 2, PROTOBUF_C_TYPE_UINT64, NULL, false,
          false },
        { "grpc.ThrottlingData", "throttled_time", 3, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.CpuStats", "cpu_usage", 1, PROTOBUF_C_TYPE_MESSAGE, "grpc.CpuUsage", false, false },
        { "grpc.CpuStats", "throttling_data", 2, PROTOBUF_C_TYPE_MESSAGE, "grpc.ThrottlingData",
          false, false },
        { "grpc.PidsStats", "current", 1, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.PidsStats", "limit", 2, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.MemoryData", "usage", 1, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.MemoryData", "max_usage", 2, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.MemoryData", "failcnt", 3, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.MemoryData", "limit", 4, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.MemoryStats", "cache", 1, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.MemoryStats", "usage", 2, PROTOBUF_C_TYPE_MESSAGE, "grpc.MemoryData", false,
          false },
        { "grpc.MemoryStats", "swap_usage", 3, PROTOBUF_C_TYPE_MESSAGE, "grpc.MemoryData", false,
          false },
        { "grpc.MemoryStats", "kernel_usage", 4, PROTOBUF_C_TYPE_MESSAGE, "grpc.MemoryData", false,
          false },
        { "grpc.MemoryStats", "use_hierarchy", 5, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.MemoryStats", "stats", 6, PROTOBUF_C_TYPE_MESSAGE, "grpc.MemoryStats.StatsEntry",
          true, false },
        { "grpc.MemoryStats.StatsEntry", "key", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.MemoryStats.StatsEntry", "value", 2, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.BlkioStatsEntry", "major", 1, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.BlkioStatsEntry", "minor", 2, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.BlkioStatsEntry", "op", 3, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.BlkioStatsEntry", "value", 4, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.BlkioStats", "io_service_bytes_recursive", 1, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.BlkioStatsEntry", true, false },
        { "grpc.BlkioStats", "io_serviced_recursive", 2, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.BlkioStatsEntry", true, false },
        { "grpc.BlkioStats", "io_queued_recursive", 3, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.BlkioStatsEntry", true, false },
        { "grpc.BlkioStats", "io_service_time_recursive", 4, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.BlkioStatsEntry", true, false },
        { "grpc.BlkioStats", "io_wait_time_recursive", 5, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.BlkioStatsEntry", true, false },
        { "grpc.BlkioStats", "io_merged_recursive", 6, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.BlkioStatsEntry", true, false },
        { "grpc.BlkioStats", "io_time_recursive", 7, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.BlkioStatsEntry", true, false },
        { "grpc.BlkioStats", "sectors_recursive", 8, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.BlkioStatsEntry", true, false },
        { "grpc.HugetlbStats", "usage", 1, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.HugetlbStats", "max_usage", 2, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.HugetlbStats", "failcnt", 3, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.CgroupStats", "cpu_stats", 1, PROTOBUF_C_TYPE_MESSAGE, "grpc.CpuStats", false,
          false },
        { "grpc.CgroupStats", "memory_stats", 2, PROTOBUF_C_TYPE_MESSAGE, "grpc.MemoryStats", false,
          false },
        { "grpc.CgroupStats", "pids_stats", 3, PROTOBUF_C_TYPE_MESSAGE, "grpc.PidsStats", false,
          false },
        { "grpc.CgroupStats", "blkio_stats", 4, PROTOBUF_C_TYPE_MESSAGE, "grpc.BlkioStats", false,
          false },
        { "grpc.CgroupStats", "hugetlb_stats", 5, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.CgroupStats.HugetlbStatsEntry", true, false },
        { "grpc.CgroupStats.HugetlbStatsEntry", "key", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.CgroupStats.HugetlbStatsEntry", "value", 2, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.HugetlbStats", false, false },
        { "grpc.NetworkStats", "name", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.NetworkStats", "rx_bytes", 2, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.NetworkStats", "rx_packets", 3, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.NetworkStats", "rx_errors", 4, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.NetworkStats", "rx_dropped", 5, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.NetworkStats", "tx_bytes", 6, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.NetworkStats", "tx_packets", 7, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.NetworkStats", "tx_errors", 8, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.NetworkStats", "tx_dropped", 9, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.StatsContainerResponse", "cgroup_stats", 1, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.CgroupStats", false, false },
        { "grpc.StatsContainerResponse", "network_stats", 2, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.NetworkStats", true, false },
        { "grpc.WriteStreamRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.WriteStreamRequest", "exec_id", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.WriteStreamRequest", "data", 3, PROTOBUF_C_TYPE_BYTES, NULL, false, false },
        { "grpc.WriteStreamResponse", "len", 1, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.ReadStreamRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.ReadStreamRequest", "exec_id", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.ReadStreamRequest", "len", 3, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.ReadStreamResponse", "data", 1, PROTOBUF_C_TYPE_BYTES, NULL, false, false },
        { "grpc.CloseStdinRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.CloseStdinRequest", "exec_id", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.TtyWinResizeRequest", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.TtyWinResizeRequest", "exec_id", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.TtyWinResizeRequest", "row", 3, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.TtyWinResizeRequest", "column", 4, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.KernelModule", "name", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.KernelModule", "parameters", 2, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.CreateSandboxRequest", "hostname", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.CreateSandboxRequest", "dns", 2, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.CreateSandboxRequest", "storages", 3, PROTOBUF_C_TYPE_MESSAGE, "grpc.Storage", true,
          false },
        { "grpc.CreateSandboxRequest", "sandbox_pidns", 4, PROTOBUF_C_TYPE_BOOL, NULL, false,
          false },
        { "grpc.CreateSandboxRequest", "sandbox_id", 5, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.CreateSandboxRequest", "guest_hook_path", 6, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.CreateSandboxRequest", "kernel_modules", 7, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.KernelModule", true, false },
        { "grpc.Interfaces", "Interfaces", 1, PROTOBUF_C_TYPE_MESSAGE, "types.Interface", true,
          false },
        { "grpc.Routes", "Routes", 1, PROTOBUF_C_TYPE_MESSAGE, "types.Route", true, false },
        { "grpc.UpdateInterfaceRequest", "interface", 1, PROTOBUF_C_TYPE_MESSAGE, "types.Interface",
          false, false },
        { "grpc.UpdateRoutesRequest", "routes", 1, PROTOBUF_C_TYPE_MESSAGE, "grpc.Routes", false,
          false },
        { "grpc.UpdateEphemeralMountsRequest", "storages", 1, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.Storage", true, false },
        { "grpc.ARPNeighbors", "ARPNeighbors", 1, PROTOBUF_C_TYPE_MESSAGE, "types.ARPNeighbor",
          true, false },
        { "grpc.AddARPNeighborsRequest", "neighbors", 1, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.ARPNeighbors", false, false },
        { "grpc.GetIPTablesRequest", "is_ipv6", 1, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.GetIPTablesResponse", "data", 1, PROTOBUF_C_TYPE_BYTES, NULL, false, false },
        { "grpc.SetIPTablesRequest", "is_ipv6", 1, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.SetIPTablesRequest", "data", 2, PROTOBUF_C_TYPE_BYTES, NULL, false, false },
        { "grpc.SetIPTablesResponse", "data", 1, PROTOBUF_C_TYPE_BYTES, NULL, false, false },
        { "grpc.OnlineCPUMemRequest", "wait", 1, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.OnlineCPUMemRequest", "nb_cpus", 2, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.OnlineCPUMemRequest", "cpu_only", 3, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.ReseedRandomDevRequest", "data", 2, PROTOBUF_C_TYPE_BYTES, NULL, false, false },
        { "grpc.AgentDetails", "version", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.AgentDetails", "init_daemon", 2, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.AgentDetails", "device_handlers", 3, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.AgentDetails", "storage_handlers", 4, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.AgentDetails", "supports_seccomp", 5, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.AgentDetails", "extra_features", 6, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.GuestDetailsRequest", "mem_block_size", 1, PROTOBUF_C_TYPE_BOOL, NULL, false,
          false },
        { "grpc.GuestDetailsRequest", "mem_hotplug_probe", 2, PROTOBUF_C_TYPE_BOOL, NULL, false,
          false },
        { "grpc.GuestDetailsResponse", "mem_block_size_bytes", 1, PROTOBUF_C_TYPE_UINT64, NULL,
          false, false },
        { "grpc.GuestDetailsResponse", "agent_details", 2, PROTOBUF_C_TYPE_MESSAGE,
          "grpc.AgentDetails", false, false },
        { "grpc.GuestDetailsResponse", "support_mem_hotplug_probe", 3, PROTOBUF_C_TYPE_BOOL, NULL,
          false, false },
        { "grpc.MemHotplugByProbeRequest", "memHotplugProbeAddr", 1, PROTOBUF_C_TYPE_UINT64, NULL,
          true, false },
        { "grpc.SetGuestDateTimeRequest", "Sec", 1, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.SetGuestDateTimeRequest", "Usec", 2, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.FSGroup", "group_id", 2, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.FSGroup", "group_change_policy", 3, PROTOBUF_C_TYPE_ENUM,
          "types.FSGroupChangePolicy", false, false },
        { "grpc.SharedMount", "name", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.SharedMount", "src_ctr", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.SharedMount", "src_path", 3, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.SharedMount", "dst_ctr", 4, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.SharedMount", "dst_path", 5, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Storage", "driver", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Storage", "driver_options", 2, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.Storage", "source", 3, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Storage", "fstype", 4, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Storage", "options", 5, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.Storage", "mount_point", 6, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Storage", "fs_group", 7, PROTOBUF_C_TYPE_MESSAGE, "grpc.FSGroup", false, false },
        { "grpc.Storage", "shared", 8, PROTOBUF_C_TYPE_BOOL, NULL, false, false },
        { "grpc.Device", "id", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Device", "type", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Device", "vm_path", 3, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Device", "container_path", 4, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Device", "options", 5, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.StringUser", "uid", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.StringUser", "gid", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.StringUser", "additionalGids", 3, PROTOBUF_C_TYPE_STRING, NULL, true, false },
        { "grpc.CopyFileRequest", "path", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.CopyFileRequest", "file_size", 2, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.CopyFileRequest", "file_mode", 3, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.CopyFileRequest", "dir_mode", 4, PROTOBUF_C_TYPE_UINT32, NULL, false, false },
        { "grpc.CopyFileRequest", "uid", 5, PROTOBUF_C_TYPE_INT32, NULL, false, false },
        { "grpc.CopyFileRequest", "gid", 6, PROTOBUF_C_TYPE_INT32, NULL, false, false },
        { "grpc.CopyFileRequest", "offset", 7, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "grpc.CopyFileRequest", "data", 8, PROTOBUF_C_TYPE_BYTES, NULL, false, false },
        { "grpc.OOMEvent", "container_id", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.AddSwapRequest", "PCIPath", 1, PROTOBUF_C_TYPE_UINT32, NULL, true, false },
        { "grpc.AddSwapPathRequest", "path", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.Metrics", "metrics", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.VolumeStatsRequest", "volume_guest_path", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.ResizeVolumeRequest", "volume_guest_path", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.ResizeVolumeRequest", "size", 2, PROTOBUF_C_TYPE_UINT64, NULL, false, false },
        { "grpc.SetPolicyRequest", "policy", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.GetDiagnosticDataRequest", "log_type", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.GetDiagnosticDataRequest", "container_id", 2, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.GetDiagnosticDataResponse", "data", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.MemAgentMemcgConfig", "disabled", 1, PROTOBUF_C_TYPE_BOOL, NULL, false, true },
        { "grpc.MemAgentMemcgConfig", "swap", 2, PROTOBUF_C_TYPE_BOOL, NULL, false, true },
        { "grpc.MemAgentMemcgConfig", "swappiness_max", 3, PROTOBUF_C_TYPE_UINT32, NULL, false,
          true },
        { "grpc.MemAgentMemcgConfig", "period_secs", 4, PROTOBUF_C_TYPE_UINT64, NULL, false, true },
        { "grpc.MemAgentMemcgConfig", "period_psi_percent_limit", 5, PROTOBUF_C_TYPE_UINT32, NULL,
          false, true },
        { "grpc.MemAgentMemcgConfig", "eviction_psi_percent_limit", 6, PROTOBUF_C_TYPE_UINT32, NULL,
          false, true },
        { "grpc.MemAgentMemcgConfig", "eviction_run_aging_count_min", 7, PROTOBUF_C_TYPE_UINT64,
          NULL, false, true },
        { "grpc.MemAgentCompactConfig", "disabled", 1, PROTOBUF_C_TYPE_BOOL, NULL, false, true },
        { "grpc.MemAgentCompactConfig", "period_secs", 2, PROTOBUF_C_TYPE_UINT64, NULL, false,
          true },
        { "grpc.MemAgentCompactConfig", "period_psi_percent_limit", 3, PROTOBUF_C_TYPE_UINT32, NULL,
          false, true },
        { "grpc.MemAgentCompactConfig", "compact_psi_percent_limit", 4, PROTOBUF_C_TYPE_UINT32,
          NULL, false, true },
        { "grpc.MemAgentCompactConfig", "compact_sec_max", 5, PROTOBUF_C_TYPE_INT64, NULL, false,
          true },
        { "grpc.MemAgentCompactConfig", "compact_order", 6, PROTOBUF_C_TYPE_UINT32, NULL, false,
          true },
        { "grpc.MemAgentCompactConfig", "compact_threshold", 7, PROTOBUF_C_TYPE_UINT64, NULL, false,
          true },
        { "grpc.MemAgentCompactConfig", "compact_force_times", 8, PROTOBUF_C_TYPE_UINT64, NULL,
          false, true },
        { "grpc.CheckRequest", "service", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "grpc.HealthCheckResponse", "status", 1, PROTOBUF_C_TYPE_ENUM,
          "grpc.HealthCheckResponse.ServingStatus", false, false },
        { "grpc.VersionCheckResponse", "grpc_version", 1, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
        { "grpc.VersionCheckResponse", "agent_version", 2, PROTOBUF_C_TYPE_STRING, NULL, false,
          false },
};

static const struct enum_fact kata_enum_values[] = {
        { "grpc.VolumeUsage.Unit", "UNKNOWN", 0 },
        { "grpc.VolumeUsage.Unit", "BYTES", 1 },
        { "grpc.VolumeUsage.Unit", "INODES", 2 },
        { "types.IPFamily", "v4", 0 },
        { "types.IPFamily", "v6", 1 },
        { "types.FSGroupChangePolicy", "Always", 0 },
        { "types.FSGroupChangePolicy", "OnRootMismatch", 1 },
        { "grpc.HealthCheckResponse.ServingStatus", "UNKNOWN", 0 },
        { "grpc.HealthCheckResponse.ServingStatus", "SERVING", 1 },
        { "grpc.HealthCheckResponse.ServingStatus", "NOT_SERVING", 2 },
};

static const struct method_fact agent_methods[] = {
        { "CreateContainer", "grpc.CreateContainerRequest", "google.protobuf.Empty" },
        { "StartContainer", "grpc.StartContainerRequest", "google.protobuf.Empty" },
        { "RemoveContainer", "grpc.RemoveContainerRequest", "google.protobuf.Empty" },
        { "ExecProcess", "grpc.ExecProcessRequest", "google.protobuf.Empty" },
        { "SignalProcess", "grpc.SignalProcessRequest", "google.protobuf.Empty" },
        { "WaitProcess", "grpc.WaitProcessRequest", "grpc.WaitProcessResponse" },
        { "UpdateContainer", "grpc.UpdateContainerRequest", "google.protobuf.Empty" },
        { "UpdateEphemeralMounts", "grpc.UpdateEphemeralMountsRequest", "google.protobuf.Empty" },
        { "StatsContainer", "grpc.StatsContainerRequest", "grpc.StatsContainerResponse" },
        { "PauseContainer", "grpc.PauseContainerRequest", "google.protobuf.Empty" },
        { "ResumeContainer", "grpc.ResumeContainerRequest", "google.protobuf.Empty" },
        { "RemoveStaleVirtiofsShareMounts", "grpc.RemoveStaleVirtiofsShareMountsRequest",
          "google.protobuf.Empty" },
        { "GetDiagnosticData", "grpc.GetDiagnosticDataRequest", "grpc.GetDiagnosticDataResponse" },
        { "WriteStdin", "grpc.WriteStreamRequest", "grpc.WriteStreamResponse" },
        { "ReadStdout", "grpc.ReadStreamRequest", "grpc.ReadStreamResponse" },
        { "ReadStderr", "grpc.ReadStreamRequest", "grpc.ReadStreamResponse" },
        { "CloseStdin", "grpc.CloseStdinRequest", "google.protobuf.Empty" },
        { "TtyWinResize", "grpc.TtyWinResizeRequest", "google.protobuf.Empty" },
        { "UpdateInterface", "grpc.UpdateInterfaceRequest", "types.Interface" },
        { "UpdateRoutes", "grpc.UpdateRoutesRequest", "grpc.Routes" },
        { "ListInterfaces", "grpc.ListInterfacesRequest", "grpc.Interfaces" },
        { "ListRoutes", "grpc.ListRoutesRequest", "grpc.Routes" },
        { "AddARPNeighbors", "grpc.AddARPNeighborsRequest", "google.protobuf.Empty" },
        { "GetIPTables", "grpc.GetIPTablesRequest", "grpc.GetIPTablesResponse" },
        { "SetIPTables", "grpc.SetIPTablesRequest", "grpc.SetIPTablesResponse" },
        { "GetMetrics", "grpc.GetMetricsRequest", "grpc.Metrics" },
        { "MemAgentMemcgSet", "grpc.MemAgentMemcgConfig", "google.protobuf.Empty" },
        { "MemAgentCompactSet", "grpc.MemAgentCompactConfig", "google.protobuf.Empty" },
        { "CreateSandbox", "grpc.CreateSandboxRequest", "google.protobuf.Empty" },
        { "DestroySandbox", "grpc.DestroySandboxRequest", "google.protobuf.Empty" },
        { "OnlineCPUMem", "grpc.OnlineCPUMemRequest", "google.protobuf.Empty" },
        { "ReseedRandomDev", "grpc.ReseedRandomDevRequest", "google.protobuf.Empty" },
        { "GetGuestDetails", "grpc.GuestDetailsRequest", "grpc.GuestDetailsResponse" },
        { "MemHotplugByProbe", "grpc.MemHotplugByProbeRequest", "google.protobuf.Empty" },
        { "SetGuestDateTime", "grpc.SetGuestDateTimeRequest", "google.protobuf.Empty" },
        { "CopyFile", "grpc.CopyFileRequest", "google.protobuf.Empty" },
        { "GetOOMEvent", "grpc.GetOOMEventRequest", "grpc.OOMEvent" },
        { "AddSwap", "grpc.AddSwapRequest", "google.protobuf.Empty" },
        { "AddSwapPath", "grpc.AddSwapPathRequest", "google.protobuf.Empty" },
        { "GetVolumeStats", "grpc.VolumeStatsRequest", "grpc.VolumeStatsResponse" },
        { "ResizeVolume", "grpc.ResizeVolumeRequest", "google.protobuf.Empty" },
        { "SetPolicy", "grpc.SetPolicyRequest", "google.protobuf.Empty" },
};

static const struct method_fact health_methods[] = {
        { "Check", "grpc.CheckRequest", "grpc.HealthCheckResponse" },
        { "Version", "grpc.CheckRequest", "grpc.VersionCheckResponse" },
};

/* --- End of the generated tables. --- */

/* The ttRPC envelope (containerd/ttrpc request.proto, google.rpc.Status, google.protobuf.Any). */
static const ProtobufCMessageDescriptor *const ttrpc_messages[] = {
        &ttrpc__key_value__descriptor, &ttrpc__request__descriptor,
        &ttrpc__any__descriptor,       &ttrpc__status__descriptor,
        &ttrpc__response__descriptor,  &ttrpc__string_list__descriptor,
};

static const struct field_fact ttrpc_fields[] = {
        { "ttrpc.KeyValue", "key", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "ttrpc.KeyValue", "value", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "ttrpc.Request", "service", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "ttrpc.Request", "method", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "ttrpc.Request", "payload", 3, PROTOBUF_C_TYPE_BYTES, NULL, false, false },
        { "ttrpc.Request", "timeout_nano", 4, PROTOBUF_C_TYPE_INT64, NULL, false, false },
        { "ttrpc.Request", "metadata", 5, PROTOBUF_C_TYPE_MESSAGE, "ttrpc.KeyValue", true, false },
        { "ttrpc.Any", "type_url", 1, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "ttrpc.Any", "value", 2, PROTOBUF_C_TYPE_BYTES, NULL, false, false },
        { "ttrpc.Status", "code", 1, PROTOBUF_C_TYPE_INT32, NULL, false, false },
        { "ttrpc.Status", "message", 2, PROTOBUF_C_TYPE_STRING, NULL, false, false },
        { "ttrpc.Status", "details", 3, PROTOBUF_C_TYPE_MESSAGE, "ttrpc.Any", true, false },
        { "ttrpc.Response", "status", 1, PROTOBUF_C_TYPE_MESSAGE, "ttrpc.Status", false, false },
        { "ttrpc.Response", "payload", 2, PROTOBUF_C_TYPE_BYTES, NULL, false, false },
        { "ttrpc.StringList", "list", 1, PROTOBUF_C_TYPE_STRING, NULL, true, false },
};

static const ProtobufCMessageDescriptor *find_message(const ProtobufCMessageDescriptor *const *set,
                                                      size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(set[i]->name, name) == 0)
                        return set[i];
        return NULL;
}

static const ProtobufCEnumDescriptor *find_enum(const char *name)
{
        for (size_t i = 0; i < N_ELEMENTS(all_enums); i++)
                if (strcmp(all_enums[i]->name, name) == 0)
                        return all_enums[i];
        return NULL;
}

/* Returns the number of mismatches, and prints each one. */
static unsigned check_fields(const ProtobufCMessageDescriptor *const *set, size_t n_set,
                             const struct field_fact *facts, size_t n_facts)
{
        unsigned bad = 0;

        for (size_t i = 0; i < n_facts; i++) {
                const struct field_fact *f = &facts[i];
                const ProtobufCMessageDescriptor *md = find_message(set, n_set, f->message);
                const ProtobufCFieldDescriptor *fd;
                const char *type_name = NULL;
                bool repeated, oneof;

                if (md == NULL) {
                        print_error("%s: message missing\n", f->message);
                        bad++;
                        continue;
                }
                fd = protobuf_c_message_descriptor_get_field_by_name(md, f->field);
                if (fd == NULL) {
                        print_error("%s.%s: field missing\n", f->message, f->field);
                        bad++;
                        continue;
                }
                if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
                        type_name = ((const ProtobufCMessageDescriptor *) fd->descriptor)->name;
                else if (fd->type == PROTOBUF_C_TYPE_ENUM)
                        type_name = ((const ProtobufCEnumDescriptor *) fd->descriptor)->name;
                repeated = fd->label == PROTOBUF_C_LABEL_REPEATED;
                oneof = (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;

                if (fd->id != f->number || fd->type != f->type || repeated != f->repeated ||
                    oneof != f->oneof || (f->type_name == NULL) != (type_name == NULL) ||
                    (f->type_name != NULL && strcmp(f->type_name, type_name) != 0) ||
                    protobuf_c_message_descriptor_get_field(md, f->number) != fd) {
                        print_error("%s.%s: want #%u type %d %s%s%s, have #%u type %d %s%s%s\n",
                                    f->message, f->field, f->number, (int) f->type,
                                    f->type_name ? f->type_name : "-",
                                    f->repeated ? " repeated" : "", f->oneof ? " oneof" : "",
                                    fd->id, (int) fd->type, type_name ? type_name : "-",
                                    repeated ? " repeated" : "", oneof ? " oneof" : "");
                        bad++;
                }
        }
        return bad;
}

static void test_proto_messages_match_kata(void **state)
{
        unsigned bad = 0;

        (void) state;
        assert_int_equal(N_ELEMENTS(all_messages), N_ELEMENTS(kata_messages));
        for (size_t i = 0; i < N_ELEMENTS(kata_messages); i++) {
                const struct message_fact *m = &kata_messages[i];
                const ProtobufCMessageDescriptor *md =
                        find_message(all_messages, N_ELEMENTS(all_messages), m->name);

                if (md == NULL) {
                        print_error("%s: message missing\n", m->name);
                        bad++;
                } else if (md->n_fields != m->n_fields) {
                        /* an extra field of ours would change what Kata's side sees too */
                        print_error("%s: want %u fields, have %u\n", m->name, m->n_fields,
                                    md->n_fields);
                        bad++;
                }
        }
        assert_int_equal(bad, 0);
}

static void test_proto_fields_match_kata(void **state)
{
        size_t total = 0;

        (void) state;
        /* every field of every message is in the table exactly once */
        for (size_t i = 0; i < N_ELEMENTS(kata_messages); i++)
                total += kata_messages[i].n_fields;
        assert_int_equal(total, N_ELEMENTS(kata_fields));
        assert_int_equal(check_fields(all_messages, N_ELEMENTS(all_messages), kata_fields,
                                      N_ELEMENTS(kata_fields)),
                         0);
}

static void test_proto_enums_match_kata(void **state)
{
        unsigned bad = 0;

        (void) state;
        for (size_t i = 0; i < N_ELEMENTS(all_enums); i++) {
                unsigned want = 0;

                for (size_t j = 0; j < N_ELEMENTS(kata_enum_values); j++)
                        if (strcmp(kata_enum_values[j].enum_name, all_enums[i]->name) == 0)
                                want++;
                if (all_enums[i]->n_values != want) {
                        print_error("%s: want %u values, have %u\n", all_enums[i]->name, want,
                                    all_enums[i]->n_values);
                        bad++;
                }
        }
        for (size_t i = 0; i < N_ELEMENTS(kata_enum_values); i++) {
                const struct enum_fact *e = &kata_enum_values[i];
                const ProtobufCEnumDescriptor *ed = find_enum(e->enum_name);
                const ProtobufCEnumValue *v;

                if (ed == NULL) {
                        print_error("%s: enum missing\n", e->enum_name);
                        bad++;
                        continue;
                }
                v = protobuf_c_enum_descriptor_get_value_by_name(ed, e->value);
                if (v == NULL || v->value != e->number) {
                        print_error("%s.%s: want %d\n", e->enum_name, e->value, e->number);
                        bad++;
                }
        }
        assert_int_equal(bad, 0);
}

static void check_methods(const ProtobufCServiceDescriptor *sd, const struct method_fact *facts,
                          size_t n)
{
        assert_int_equal(sd->n_methods, n);
        for (size_t i = 0; i < n; i++) {
                const ProtobufCMethodDescriptor *m = &sd->methods[i];

                assert_string_equal(m->name, facts[i].name);
                assert_string_equal(m->input->name, facts[i].input);
                assert_string_equal(m->output->name, facts[i].output);
        }
}

static void test_proto_agent_service_matches_kata(void **state)
{
        (void) state;
        assert_string_equal(grpc__agent_service__descriptor.name, "grpc.AgentService");
        assert_int_equal(N_ELEMENTS(agent_methods), 42);
        check_methods(&grpc__agent_service__descriptor, agent_methods, N_ELEMENTS(agent_methods));
}

static void test_proto_health_service_matches_kata(void **state)
{
        (void) state;
        assert_string_equal(grpc__health__descriptor.name, "grpc.Health");
        check_methods(&grpc__health__descriptor, health_methods, N_ELEMENTS(health_methods));
}

static void test_proto_ttrpc_envelope(void **state)
{
        (void) state;
        for (size_t i = 0; i < N_ELEMENTS(ttrpc_messages); i++) {
                unsigned want = 0;

                for (size_t j = 0; j < N_ELEMENTS(ttrpc_fields); j++)
                        if (strcmp(ttrpc_fields[j].message, ttrpc_messages[i]->name) == 0)
                                want++;
                assert_int_equal(ttrpc_messages[i]->n_fields, want);
        }
        assert_int_equal(check_fields(ttrpc_messages, N_ELEMENTS(ttrpc_messages), ttrpc_fields,
                                      N_ELEMENTS(ttrpc_fields)),
                         0);
}

/*
 * Kata's proto3 "optional" fields are oneofs here: a field set to its zero value must still go
 * on the wire, and one that is absent must unpack as "not set".
 */
static void test_proto_optional_presence(void **state)
{
        Grpc__MemAgentMemcgConfig memcg = GRPC__MEM_AGENT_MEMCG_CONFIG__INIT;
        Grpc__MemAgentMemcgConfig *m;
        Grpc__LinuxSyscall sc = GRPC__LINUX_SYSCALL__INIT;
        Grpc__LinuxSyscall *s;
        static const uint8_t want_memcg[] = { 0x08, 0x00 }; /* #1 disabled, varint, false */
        static const uint8_t want_sc[] = { 0x18, 0x00 };    /* #3 errnoret, varint, 0 */
        uint8_t buf[16];

        (void) state;
        assert_int_equal(grpc__mem_agent_memcg_config__get_packed_size(&memcg), 0);
        memcg._disabled_case = GRPC__MEM_AGENT_MEMCG_CONFIG___DISABLED_DISABLED;
        memcg.disabled = 0;
        assert_int_equal(grpc__mem_agent_memcg_config__pack(&memcg, buf), sizeof(want_memcg));
        assert_memory_equal(buf, want_memcg, sizeof(want_memcg));

        m = grpc__mem_agent_memcg_config__unpack(NULL, sizeof(want_memcg), want_memcg);
        assert_non_null(m);
        assert_int_equal(m->_disabled_case, GRPC__MEM_AGENT_MEMCG_CONFIG___DISABLED_DISABLED);
        assert_false(m->disabled);
        assert_int_equal(m->_swap_case, GRPC__MEM_AGENT_MEMCG_CONFIG___SWAP__NOT_SET);
        grpc__mem_agent_memcg_config__free_unpacked(m, NULL);

        sc.errno_ret_case = GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET;
        sc.errnoret = 0;
        assert_int_equal(grpc__linux_syscall__pack(&sc, buf), sizeof(want_sc));
        assert_memory_equal(buf, want_sc, sizeof(want_sc));
        s = grpc__linux_syscall__unpack(NULL, sizeof(want_sc), want_sc);
        assert_non_null(s);
        assert_int_equal(s->errno_ret_case, GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET);
        grpc__linux_syscall__free_unpacked(s, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_proto_messages_match_kata),
                cmocka_unit_test(test_proto_fields_match_kata),
                cmocka_unit_test(test_proto_enums_match_kata),
                cmocka_unit_test(test_proto_agent_service_matches_kata),
                cmocka_unit_test(test_proto_health_service_matches_kata),
                cmocka_unit_test(test_proto_ttrpc_envelope),
                cmocka_unit_test(test_proto_optional_presence),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
