import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import { assignRoundRobin, decodeAssignment, encodeAssignment, type JoinedMember } from './group.protocol.js';

// A group may hold our projectors and kafkajs consumers at once (a rolling
// upgrade, ADR 0052): both must read what the other writes, and plan alike.
describe('group protocol: consumer assignments', () => {
  const assignments = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 20 }),
    fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { maxLength: 20 }),
    { maxKeys: 4 },
  );

  it('encodes an assignment as kafkajs does, and reads what kafkajs encodes', () => {
    fc.assert(
      fc.property(assignments, (assignment) => {
        const ours = encodeAssignment(new Map(Object.entries(assignment)));
        const theirs = kafkajs.AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment,
          userData: Buffer.alloc(0),
        });
        expect(kafkajs.AssignerProtocol.MemberAssignment.decode(ours)).toEqual({
          version: 0,
          assignment,
          userData: null,
        });
        expect(Object.fromEntries(decodeAssignment(theirs))).toEqual(assignment);
      }),
    );
  });

  it('gives every partition to exactly one subscriber, spread evenly, whatever the members', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 48 }),
        (ids, partitions) => {
          const members: JoinedMember[] = ids.map((memberId) => ({ memberId, topics: ['events'] }));
          const plan = assignRoundRobin(members, new Map([['events', partitions]]));
          const owned = [...plan.values()].map((a) => a.get('events') ?? []);
          expect(owned.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: partitions }, (_, i) => i));
          const sizes = owned.map((o) => o.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it('plans as kafkajs’ round robin does for one topic', async () => {
    const members = ['member-b', 'member-a', 'member-c'].map((memberId) => ({ memberId, topics: ['events'] }));
    const plan = assignRoundRobin(members, new Map([['events', 7]]));
    const cluster = {
      findTopicPartitionMetadata: () => Array.from({ length: 7 }, (_, partitionId) => ({ partitionId })),
    };
    const assigner = kafkajs.PartitionAssigners.roundRobin({ cluster } as never);
    const theirs = await assigner.assign({
      members: members.map((m) => ({
        memberId: m.memberId,
        memberMetadata: kafkajs.AssignerProtocol.MemberMetadata.encode({
          version: 0,
          topics: m.topics,
          userData: Buffer.alloc(0),
        }),
      })),
      topics: ['events'],
    });
    for (const { memberId, memberAssignment } of theirs)
      expect(kafkajs.AssignerProtocol.MemberAssignment.decode(memberAssignment)!.assignment).toEqual({
        events: plan.get(memberId)!.get('events'),
      });
  });
});
