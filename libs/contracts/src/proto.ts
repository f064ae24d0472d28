// The generated protobuf schemas, for callers that need the raw messages
// (gRPC, tools). Everything else should go through the codecs.
export * from './gen/tasklog/v1/task_pb.js';
export * from './gen/tasklog/v1/events_pb.js';
export * from './gen/tasklog/v1/commands_pb.js';
export * from './gen/tasklog/v1/command_results_pb.js';
export * from './gen/tasklog/v1/snapshots_pb.js';
